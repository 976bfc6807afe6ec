"""Variants that break the lifecycle capability: seed, snapshot, build, vars."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from opentelemetry import trace

from floe_core.errors import DBTExecutionError
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.selectors import merge_vars, vars_argument

from . import LIFECYCLE, AcmeRuntime


class SeedIgnoresSelect(AcmeRuntime):
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
        return super().seed(project_dir, profiles_dir, target, None, exclude, full_refresh, vars)


class SeedIgnoresFullRefresh(AcmeRuntime):
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
        return super().seed(project_dir, profiles_dir, target, select, exclude, False, vars)


class BadSeedRaises(AcmeRuntime):
    """A seed that fails to load raises instead of being a result."""

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
        result = super().seed(
            project_dir, profiles_dir, target, select, exclude, full_refresh, vars
        )
        if result.failures:
            raise DBTExecutionError(f"{result.failures} seed(s) failed to load")
        return result


class SnapshotOnce(AcmeRuntime):
    """Snapshots a project once; later calls answer the first result."""

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        if not hasattr(self, "_snapshotted"):
            self._snapshotted = super().snapshot(
                project_dir, profiles_dir, target, select, exclude, vars
            )
        return self._snapshotted


class BuildIgnoresExclude(AcmeRuntime):
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
        return super().build(project_dir, profiles_dir, target, select, None, full_refresh, vars)


class BuildIsRunThenTest(AcmeRuntime):
    """Builds with `dbt run` then `dbt test`: a failing test skips nothing downstream."""

    def _command(self, command: str) -> str:
        return "run" if command == "build" else command

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
        ran = super().build(project_dir, profiles_dir, target, select, exclude, full_refresh, vars)
        tested = self._execute("test", project_dir, profiles_dir, target, select=select, vars=vars)
        return tested.model_copy(
            update={
                "models_run": ran.models_run,
                "failures": ran.failures + tested.failures,
                "success": ran.success and tested.success,
                "metadata": ran.metadata,
            }
        )


class VarsIgnored(AcmeRuntime):
    """Checks the call's vars, then drops them."""

    def _vars(self, vars: Mapping[str, Any] | None) -> list[str]:
        vars_argument(vars)
        return super()._vars(None)


class VarsReplaceBound(AcmeRuntime):
    """A call's vars replace the bound ones instead of being merged over them."""

    def _vars(self, vars: Mapping[str, Any] | None) -> list[str]:
        if vars is None:
            return super()._vars(None)
        return ["--vars", json.dumps(json.loads(vars_argument(vars) or "{}"))]


class WithVarsMutates(AcmeRuntime):
    """with_vars binds the vars to this runtime and returns it."""

    def with_vars(self, vars: Mapping[str, Any]) -> AcmeRuntime:
        self._bound = merge_vars(self._bound, vars)
        return self


class BoundVarsOnlyInLifecycle(AcmeRuntime):
    """Bound vars reach seed, snapshot and build, not run_models or run_tests."""

    def _arguments(
        self,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        options: dict[str, Any],
    ) -> list[str]:
        if command in LIFECYCLE:
            return super()._arguments(command, project_dir, profiles_dir, target, options)
        bound, self._bound = self._bound, {}
        try:
            return super()._arguments(command, project_dir, profiles_dir, target, options)
        finally:
            self._bound = bound


class NoLifecycleCounts(AcmeRuntime):
    def _result_metadata(self, command: str, run_results: dict[str, Any]) -> dict[str, Any]:
        return {"runtime": "acme", "command": command}


class UncheckedVars(AcmeRuntime):
    """Renders vars with json.dumps, unchecked: NaN reaches dbt."""

    def _vars(self, vars: Mapping[str, Any] | None) -> list[str]:
        if vars is None and not self._bound:
            return []
        return ["--vars", json.dumps({**self._bound, **(vars or {})})]


class LifecycleWithoutSpans(AcmeRuntime):
    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        if command in LIFECYCLE:
            return contextlib.nullcontext(trace.INVALID_SPAN)
        return super()._span(command, target, **attributes)
