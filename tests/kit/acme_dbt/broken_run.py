"""Variants that break run_models and run_tests: what they select and what they run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from dbt.cli.main import dbtRunner

from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


class IgnoresSelect(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(None, exclude, full_refresh)


class IgnoresExclude(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, None, full_refresh)


class IgnoresFullRefresh(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, exclude, False)


class AlwaysFullRefresh(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, exclude, True)


class ExcludeDropsSelect(AcmeRuntime):
    """Given both, keeps only the exclusion."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if exclude is not None:
            select = None
        return super()._selection(select, exclude, full_refresh)


class FirstMemberOnly(AcmeRuntime):
    """Passes only the first member of a union ("a b" selects a)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.split(" ")[0]
        return super()._selection(select, exclude, full_refresh)


class StripsGraphOperators(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.replace("+", "")
        return super()._selection(select, exclude, full_refresh)


class RunIsBuild(AcmeRuntime):
    """Runs `dbt build` for run_models: tests run too."""

    def _command(self, command: str) -> str:
        return "build" if command == "run" else command


class TestIgnoresSelect(AcmeRuntime):
    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        return super().run_tests(project_dir, profiles_dir, target, None)


class StaleParse(AcmeRuntime):
    """Parses a project once and reuses that parse forever: edits run stale SQL."""

    _parsed: ClassVar[dict[str, Any]] = {}

    def _runner(self, arguments: list[str]) -> Any:
        project = arguments[arguments.index("--project-dir") + 1]
        if project not in self._parsed:
            parsed = dbtRunner().invoke(["parse", *arguments[1:]])
            if parsed.result is None:
                return dbtRunner()
            self._parsed[project] = parsed.result
        return dbtRunner(manifest=self._parsed[project])
