"""Variants that break the artifact cache (REQ-092)."""

from __future__ import annotations

import json
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
    def _cached_manifest(self) -> dict[str, Any] | None:
        return None


class CacheWithoutAccount(AcmeRuntime):
    def _entry_metadata(self, run_id: str, names: tuple[str, ...]) -> dict[str, Any]:
        metadata = super()._entry_metadata(run_id, names)
        del metadata["account_id"]
        return metadata
