"""A third-party dbt runtime, ``acme``, and broken variants of it: the kit's test subjects.

This file is copied into each pytester directory as the module ``acme_dbt``
and registered under ``floe.dbt`` by a dist-info written next to it. The
correct runtime calls dbt-core's ``dbtRunner`` directly, serialises with a
class-level lock, emits ``floe.dbt.*`` spans, and keeps an artifact cache
(REQ-092) where "remote" means reading the project's ``target/`` (counted).
Every variant breaks exactly one promise by overriding one small method.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner
from dbt_common.exceptions import CompilationError

from floe_core.artifacts import RunCounts, count_run_results, read_json_artifact
from floe_core.errors import DBTCompilationError, DBTError, DBTExecutionError
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.telemetry import dbt_span

TOKEN = "acme-secret-7f3c9e1d"
ARTIFACTS = ("manifest.json", "run_results.json")


class Counter:
    """Counts the runtime's "remote" calls (runs and artifact fetches)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.calls += 1


class AcmeRuntime(DBTPlugin):
    """The correct runtime."""

    _lock = threading.Lock()

    def __init__(
        self,
        cache_dir: Path | None = None,
        counter: Counter | None = None,
        token: str = TOKEN,
        no_cache: bool = False,
        ttl_hours: float = 24.0,
    ) -> None:
        self.cache_dir = cache_dir
        self.counter = counter or Counter()
        self._token = token
        self.no_cache = no_cache
        self.ttl = timedelta(hours=ttl_hours)

    # -- what variants override ---------------------------------------------------

    def _guard(self) -> Any:
        return type(self)._lock

    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        return dbt_span(command, runtime="acme", target=target, **attributes)

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        args = []
        if select is not None:
            args += ["--select", select]
        if exclude is not None:
            args += ["--exclude", exclude]
        if full_refresh:
            args.append("--full-refresh")
        return args

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        return count_run_results(run_results)

    def _wrap(self, exc: BaseException, project_dir: Path) -> DBTError:
        if isinstance(exc, CompilationError):
            return DBTCompilationError(f"dbt could not parse {project_dir}: {exc}")
        return DBTExecutionError(f"dbt failed in {project_dir}: {exc}")

    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        return result

    def _manifest_return(self, project_dir: Path) -> Path:
        return project_dir / "target" / "manifest.json"

    def _elapsed(self, seconds: float) -> float:
        return seconds

    # -- dbt --------------------------------------------------------------------

    def _invoke(
        self,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        args: list[str],
        **attributes: Any,
    ) -> tuple[Any, float]:
        with self._guard(), self._span(command, target, **attributes):
            started = time.perf_counter()
            outcome = dbtRunner().invoke(
                [
                    command,
                    "--project-dir",
                    str(project_dir),
                    "--profiles-dir",
                    str(profiles_dir),
                    "--target",
                    target,
                    "--quiet",
                    *args,
                ]
            )
            elapsed = time.perf_counter() - started
            if outcome.exception is not None:
                raise self._wrap(outcome.exception, project_dir) from outcome.exception
            self.counter.add()
            return outcome, elapsed

    def _result(self, project_dir: Path, outcome: Any, elapsed: float) -> DBTRunResult:
        run_results_path = project_dir / "target" / "run_results.json"
        counts = self._counts(read_json_artifact(run_results_path, what="run dbt"))
        result = DBTRunResult(
            success=bool(outcome.success) and counts.failures == 0,
            manifest_path=project_dir / "target" / "manifest.json",
            run_results_path=run_results_path,
            execution_time_seconds=self._elapsed(elapsed),
            models_run=counts.models_run,
            tests_run=counts.tests_run,
            failures=counts.failures,
            metadata={"runtime": "acme"},
        )
        self._store(project_dir, ARTIFACTS)
        return result if result.success else self._failed(result)

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        self._invoke("compile", project_dir, profiles_dir, target, [])
        self._store(project_dir, ("manifest.json",))
        return self._manifest_return(project_dir)

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        args = self._selection(select, exclude, full_refresh)
        outcome, elapsed = self._invoke(
            "run",
            project_dir,
            profiles_dir,
            target,
            args,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
        )
        return self._result(project_dir, outcome, elapsed)

    def run_tests(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
    ) -> DBTRunResult:
        args = ["--select", select] if select is not None else []
        outcome, elapsed = self._invoke("test", project_dir, profiles_dir, target, args)
        return self._result(project_dir, outcome, elapsed)

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        if self._cache_on() and not self._bypass():
            cached = self._cached_manifest()
            if cached is not None:
                return cached
        self.counter.add()
        manifest = read_json_artifact(project_dir / "target" / "manifest.json", what="compile")
        self._store(project_dir, ("manifest.json",))
        return manifest

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        return read_json_artifact(project_dir / "target" / "run_results.json", what="run dbt")

    def supports_parallel_execution(self) -> bool:
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": "acme", "cache": self.cache_dir is not None}

    # -- the artifact cache ---------------------------------------------------------

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
        files["metadata.json"] = json.dumps(self._entry_metadata(run_id, names)).encode()
        for name, data in files.items():
            path = staging / name
            path.write_bytes(data)
            os.chmod(path, file_mode)
        shutil.rmtree(entry, ignore_errors=True)
        staging.rename(entry)

    def _entries(self) -> Iterator[tuple[datetime, Path]]:
        assert self.cache_dir is not None
        if not self.cache_dir.is_dir():
            return
        for entry in self.cache_dir.iterdir():
            metadata = self._read(entry / "metadata.json")
            if not isinstance(metadata, dict):
                continue
            with contextlib.suppress(KeyError, ValueError, TypeError):
                stamp = datetime.fromisoformat(str(metadata["cached_at"]).replace("Z", "+00:00"))
                yield stamp, entry

    def _cached_manifest(self) -> dict[str, Any] | None:
        for stamp, entry in sorted(self._entries(), reverse=True):
            if not self._fresh(stamp):
                continue
            manifest = self._read(entry / "manifest.json")
            if isinstance(manifest, dict):
                return manifest
        return None


class NeedsArgs(AcmeRuntime):
    """Cannot be built without arguments: needs a pytest_floe_dbt_harness."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint


# -- broken variants: one promise each --------------------------------------------------


class WrongManifestPath(AcmeRuntime):
    def _manifest_return(self, project_dir: Path) -> Path:
        return project_dir / "manifest.json"


class IgnoresSelect(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(None, exclude, full_refresh)


class IgnoresExclude(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, None, full_refresh)


class IgnoresFullRefresh(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, exclude, False)


class WrongCounts(AcmeRuntime):
    """Forgets unit tests in tests_run."""

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        counts = super()._counts(run_results)
        units = sum(1 for r in run_results["results"] if r["unique_id"].startswith("unit_test."))
        return counts._replace(tests_run=counts.tests_run - units)


class HidesFailedTest(AcmeRuntime):
    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        return result.model_copy(update={"success": True, "failures": 0})


class RaisesOnSqlError(AcmeRuntime):
    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        raise DBTExecutionError(f"{result.failures} node(s) failed")


class WrongExceptionType(AcmeRuntime):
    def _wrap(self, exc: BaseException, project_dir: Path) -> DBTError:
        return DBTExecutionError(f"dbt failed in {project_dir}: {exc}")


class NoLock(AcmeRuntime):
    def _guard(self) -> Any:
        return contextlib.nullcontext()


class PerInstanceLock(AcmeRuntime):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own = threading.Lock()

    def _guard(self) -> Any:
        return self._own


class NoSpan(AcmeRuntime):
    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        return contextlib.nullcontext()


class SecretInMetadata(AcmeRuntime):
    def get_runtime_metadata(self) -> dict[str, Any]:
        return {**super().get_runtime_metadata(), "auth": f"Token {self._token}"}


class CannotSayParallel(AcmeRuntime):
    def supports_parallel_execution(self) -> bool:
        raise RuntimeError("it depends")


class SecretInRepr(AcmeRuntime):
    def __repr__(self) -> str:
        return f"AcmeRuntime(token={self._token!r})"


class StaleLatest(AcmeRuntime):
    """get_run_results keeps answering the first run's results."""

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        if not hasattr(self, "_first"):
            self._first = super().get_run_results(project_dir)
        return self._first


class WrongSignature(AcmeRuntime):
    def run_models(  # type: ignore[override]
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = True,
    ) -> DBTRunResult:
        return super().run_models(project_dir, profiles_dir, target, select, exclude, full_refresh)


class ZeroTime(AcmeRuntime):
    def _elapsed(self, seconds: float) -> float:
        return 0.0


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
