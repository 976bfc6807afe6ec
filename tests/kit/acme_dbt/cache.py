"""Acme's artifact cache (REQ-092): "remote" means the project's ``target/``, counted.

A mixin of :class:`acme_dbt.AcmeRuntime`; each method is small so that a
broken variant overrides exactly one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from floe_core.artifacts import read_json_artifact


class Counter:
    """Counts the runtime's "remote" calls (runs and artifact fetches)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.calls += 1


class ArtifactCache:
    """The cache half of the acme runtime."""

    cache_dir: Path | None
    counter: Counter
    no_cache: bool
    ttl: timedelta

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        if self._cache_on() and not self._bypass():
            cached = self._cached_manifest(project_dir)
            if cached is not None:
                return cached
        self.counter.add()
        manifest = read_json_artifact(project_dir / "target" / "manifest.json", what="compile")
        self._store(project_dir, ("manifest.json",))
        return manifest

    def _cache_on(self) -> bool:
        disabled = os.environ.get("FLOE_DISABLE_CACHE", "").lower() in ("1", "true", "yes")
        return self.cache_dir is not None and not disabled

    def _bypass(self) -> bool:
        return self.no_cache

    def _fresh(self, cached_at: datetime) -> bool:
        return datetime.now(timezone.utc) - cached_at < self.ttl

    def _entry_metadata(self, run_id: str, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            "cached_at": datetime.now(timezone.utc).isoformat(),
            "run_id": run_id,
            "account_id": "acme-account",
            "job_id": "acme-job",
            "artifacts": sorted(names),
        }

    def _project_key(self, project_dir: Path) -> str:
        # One cache directory serves every project of the instance: entries say whose they are.
        return hashlib.sha256(str(Path(project_dir).resolve()).encode()).hexdigest()[:16]

    def _modes(self) -> tuple[int, int]:
        return 0o700, 0o600

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _store(self, project_dir: Path, names: tuple[str, ...]) -> None:
        if not self._cache_on() or self.cache_dir is None:
            return
        target = project_dir / "target"
        run_id = str(
            json.loads((target / "manifest.json").read_text())["metadata"]["invocation_id"]
        )
        dir_mode, file_mode = self._modes()
        entry = self.cache_dir / run_id
        staging = self.cache_dir / f".{run_id}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=dir_mode, parents=True)
        os.chmod(staging, dir_mode)
        files = {name: (target / name).read_bytes() for name in names}
        metadata = self._entry_metadata(run_id, names)
        metadata["project"] = self._project_key(project_dir)
        files["metadata.json"] = json.dumps(metadata).encode()
        for name, data in files.items():
            path = staging / name
            path.write_bytes(data)
            os.chmod(path, file_mode)
        shutil.rmtree(entry, ignore_errors=True)
        staging.rename(entry)

    def _entries(self, project_dir: Path) -> Iterator[tuple[datetime, Path]]:
        assert self.cache_dir is not None
        if not self.cache_dir.is_dir():
            return
        for entry in self.cache_dir.iterdir():
            metadata = self._read(entry / "metadata.json")
            if not isinstance(metadata, dict):
                continue
            if metadata.get("project") != self._project_key(project_dir):
                continue
            with contextlib.suppress(KeyError, ValueError, TypeError):
                stamp = datetime.fromisoformat(str(metadata["cached_at"]).replace("Z", "+00:00"))
                yield stamp, entry

    def _cached_manifest(self, project_dir: Path) -> dict[str, Any] | None:
        for stamp, entry in sorted(self._entries(project_dir), reverse=True):
            if not self._fresh(stamp):
                continue
            manifest = self._read(entry / "manifest.json")
            if isinstance(manifest, dict):
                return manifest
        return None
