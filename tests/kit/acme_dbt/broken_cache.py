"""Variants that break the artifact cache (REQ-092)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from . import AcmeRuntime


class StaleCache(AcmeRuntime):
    def _fresh(self, cached_at: datetime) -> bool:
        return True


class IgnoresDisableCache(AcmeRuntime):
    def _cache_on(self) -> bool:
        return self.cache_dir is not None


class IgnoresNoCache(AcmeRuntime):
    def _bypass(self) -> bool:
        return False


class SecretInCache(AcmeRuntime):
    def _entry_metadata(self, run_id: str, names: tuple[str, ...]) -> dict[str, Any]:
        return {**super()._entry_metadata(run_id, names), "token": self._token}


class LooseCacheModes(AcmeRuntime):
    def _modes(self) -> tuple[int, int]:
        return 0o755, 0o644


class CrashesOnCorruptCache(AcmeRuntime):
    def _read(self, path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))


class CacheNeverHits(AcmeRuntime):
    def _cached_manifest(self, project_dir: Path) -> dict[str, Any] | None:
        return None


class CacheWithoutAccount(AcmeRuntime):
    def _entry_metadata(self, run_id: str, names: tuple[str, ...]) -> dict[str, Any]:
        metadata = super()._entry_metadata(run_id, names)
        del metadata["account_id"]
        return metadata


class CacheWithoutProject(AcmeRuntime):
    """Keys entries by nothing of the project: the newest entry answers for every project."""

    def _project_key(self, project_dir: Path) -> str:
        return "acme"


class CacheOneProject(AcmeRuntime):
    """Keeps one project's entries: caching for another empties the directory first."""

    def _store(self, project_dir: Path, names: tuple[str, ...]) -> None:
        if self._cache_on() and self.cache_dir is not None and self.cache_dir.is_dir():
            mine = self._project_key(project_dir)
            for entry in self.cache_dir.iterdir():
                metadata = self._read(entry / "metadata.json")
                if isinstance(metadata, dict) and metadata.get("project") != mine:
                    shutil.rmtree(entry, ignore_errors=True)
        super()._store(project_dir, names)
