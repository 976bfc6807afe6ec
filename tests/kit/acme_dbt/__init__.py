"""A third-party dbt runtime, ``acme``, and (in ``acme_dbt.broken_*``) broken variants of it.

This package is copied into each pytester directory and registered under
``floe.dbt`` by a dist-info written next to it. The correct runtime calls
dbt-core's ``dbtRunner`` directly, as the certifying guide shows: it checks
selectors, targets and vars with ``floe_core.selectors``, translates dbt's
outcome with the public ``floe_dbt_local.dbt_errors`` helper, serialises with
a class-level lock, emits ``floe.dbt.*`` spans, declares the lifecycle
capability (and the fail-fast and state ones), and keeps an artifact
cache (REQ-092) where "remote" means the project's ``target/``. Every
method a variant needs to break is small, so that each variant overrides one.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner

from floe_core.artifacts import RunCounts, count_run_results, read_json_artifact
from floe_core.lifecycle import DBTLifecycle, count_lifecycle_nodes
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.run_flags import DBTFailFast, DBTStateSelection
from floe_core.selectors import merge_vars, selector_members, validate_target
from floe_core.telemetry import dbt_span, record_result
from floe_dbt_local.dbt_errors import raise_for_dbt_result

from .cache import ArtifactCache, Counter

__all__ = ["TOKEN", "AcmeBasic", "AcmeRuntime", "Counter", "NeedsArgs"]

TOKEN = "acme-secret-7f3c9e1d"
ARTIFACTS = ("manifest.json", "run_results.json")
LIFECYCLE = ("seed", "snapshot", "build")


class AcmeBasic(ArtifactCache, DBTPlugin):
    """The correct runtime without the lifecycle capability (still fully compliant)."""

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
        self._bound: dict[str, Any] = {}
        self._fail_fast = False
        self._state: Path | None = None
        self._defer = False

    # -- what variants override -----------------------------------------------------

    def _guard(self, command: str) -> Any:
        return type(self)._lock

    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        return dbt_span(command, runtime="acme", target=target, **attributes)

    def _record(self, span: Any, result: DBTRunResult) -> None:
        record_result(span, result)

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        args = []
        if select is not None:
            args += ["--select", *selector_members(select, field="select")]
        if exclude is not None:
            args += ["--exclude", *selector_members(exclude, field="exclude")]
        if full_refresh:
            args.append("--full-refresh")
        return args

    def _target(self, target: str) -> str:
        return validate_target(target)

    def _vars(self, vars: Mapping[str, Any] | None) -> list[str]:
        merged = merge_vars(self._bound, vars)
        return ["--vars", json.dumps(merged)] if self._bound or vars is not None else []

    def _run_flags(self, command: str) -> list[str]:
        flags = ["--fail-fast"] if self._fail_fast else []
        if self._state is not None:
            flags += ["--state", str(self._state), *(["--defer"] if self._defer else [])]
        return flags

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        return count_run_results(run_results)

    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        raise_for_dbt_result(outcome, command=command, project_dir=project_dir)

    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        return result

    def _manifest_return(self, project_dir: Path) -> Path:
        return project_dir / "target" / "manifest.json"

    def _elapsed(self, seconds: float) -> float:
        return seconds

    def _result_metadata(self, command: str, run_results: dict[str, Any]) -> dict[str, Any]:
        metadata: dict[str, Any] = {"runtime": "acme", "command": command}
        if command in LIFECYCLE:
            metadata.update(count_lifecycle_nodes(run_results).as_metadata())
        return metadata

    def _command(self, command: str) -> str:
        return command

    def _runner(self, arguments: list[str]) -> Any:
        return dbtRunner()

    # -- dbt ----------------------------------------------------------------------------

    def _arguments(
        self,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        options: dict[str, Any],
    ) -> list[str]:
        arguments = [self._command(command), "--project-dir", str(project_dir)]
        arguments += ["--profiles-dir", str(profiles_dir), "--target", self._target(target)]
        arguments += ["--quiet", *self._vars(options.pop("vars", None)), *self._run_flags(command)]
        return arguments + self._selection(
            options.get("select"), options.get("exclude"), bool(options.get("full_refresh"))
        )

    @contextlib.contextmanager
    def _invocation(self, command: str, target: str, **attributes: Any) -> Iterator[Any]:
        with self._guard(command), self._span(command, target, **attributes) as span:
            yield span

    def _dbt(self, command: str, arguments: list[str], project_dir: Path) -> tuple[Any, float]:
        started = time.perf_counter()
        outcome = self._runner(arguments).invoke(arguments)
        elapsed = time.perf_counter() - started
        self._raise_for(outcome, command, project_dir)
        self.counter.add()
        return outcome, elapsed

    def _execute(
        self, command: str, project_dir: Path, profiles_dir: Path, target: str, **options: Any
    ) -> DBTRunResult:
        arguments = self._arguments(command, project_dir, profiles_dir, target, dict(options))
        shown = {k: v for k, v in options.items() if k in ("select", "exclude", "full_refresh")}
        with self._invocation(command, target, **shown) as span:
            outcome, elapsed = self._dbt(command, arguments, project_dir)
            result = self._result(command, project_dir, outcome, elapsed)
            self._record(span, result)
        return result if result.success else self._failed(result)

    def _result(
        self, command: str, project_dir: Path, outcome: Any, elapsed: float
    ) -> DBTRunResult:
        run_results_path = project_dir / "target" / "run_results.json"
        run_results = read_json_artifact(run_results_path, what="run dbt")
        counts = self._counts(run_results)
        result = DBTRunResult(
            success=bool(outcome.success) and counts.failures == 0,
            manifest_path=project_dir / "target" / "manifest.json",
            run_results_path=run_results_path,
            execution_time_seconds=self._elapsed(elapsed),
            models_run=counts.models_run,
            tests_run=counts.tests_run,
            failures=counts.failures,
            metadata=self._result_metadata(command, run_results),
        )
        self._store(project_dir, ARTIFACTS)
        return result

    # -- the contract ---------------------------------------------------------------

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        arguments = self._arguments("compile", project_dir, profiles_dir, target, {})
        with self._invocation("compile", target):
            self._dbt("compile", arguments, project_dir)
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
        return self._execute(
            "run",
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
        )

    def run_tests(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
    ) -> DBTRunResult:
        return self._execute("test", project_dir, profiles_dir, target, select=select)

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        return read_json_artifact(project_dir / "target" / "run_results.json", what="run dbt")

    def supports_parallel_execution(self) -> bool:
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": "acme", "cache": self.cache_dir is not None}


class AcmeRuntime(AcmeBasic, DBTLifecycle, DBTFailFast, DBTStateSelection):
    """The correct runtime, with the lifecycle, fail-fast and state capabilities."""

    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        return self._execute(
            "seed",
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        return self._execute(
            "snapshot",
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            vars=vars,
        )

    def build(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        return self._execute(
            "build",
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

    def with_vars(self, vars: Mapping[str, Any]) -> AcmeRuntime:
        bound = copy.copy(self)
        bound._bound = merge_vars(self._bound, vars)
        return bound

    def with_fail_fast(self, fail_fast: bool = True) -> AcmeRuntime:
        bound = copy.copy(self)
        bound._fail_fast = fail_fast
        return bound

    def with_state(self, state: Path, *, defer: bool = False) -> AcmeRuntime:
        bound = copy.copy(self)
        bound._state, bound._defer = Path(state).absolute(), defer
        return bound


class NeedsArgs(AcmeRuntime):
    """Cannot be built without arguments: needs a pytest_floe_dbt_harness."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint
