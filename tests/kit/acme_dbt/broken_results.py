"""Variants that break what a result says: counts, success, time, paths, metadata, artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_core.artifacts import RunCounts
from floe_core.errors import DBTExecutionError
from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


class WrongCounts(AcmeRuntime):
    """Forgets unit tests in tests_run."""

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        counts = super()._counts(run_results)
        units = sum(1 for r in run_results["results"] if r["unique_id"].startswith("unit_test."))
        return counts._replace(tests_run=counts.tests_run - units)


class CountsSkipped(AcmeRuntime):
    """Counts skipped models as run."""

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        counts = super()._counts(run_results)
        skipped = sum(
            1
            for r in run_results["results"]
            if r["unique_id"].startswith("model.") and r["status"] == "skipped"
        )
        return counts._replace(models_run=counts.models_run + skipped)


class WarnIsFailure(AcmeRuntime):
    """Counts a warning as a failure."""

    def _counts(self, run_results: dict[str, Any]) -> RunCounts:
        counts = super()._counts(run_results)
        warned = sum(1 for r in run_results["results"] if r["status"] == "warn")
        return counts._replace(failures=counts.failures + warned)


class WarnError(AcmeRuntime):
    """Runs tests with --warn-error: a warning fails the test."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return ["--warn-error", *super()._selection(select, exclude, full_refresh)]


class HidesFailedTest(AcmeRuntime):
    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        return result.model_copy(update={"success": True, "failures": 0})


class RaisesOnFailure(AcmeRuntime):
    """A failed model or test raises instead of being a result."""

    def _failed(self, result: DBTRunResult) -> DBTRunResult:
        raise DBTExecutionError(f"{result.failures} node(s) failed")


class ZeroTime(AcmeRuntime):
    def _elapsed(self, seconds: float) -> float:
        return 0.0


class TimeInMilliseconds(AcmeRuntime):
    def _elapsed(self, seconds: float) -> float:
        return seconds * 1000


class ResultMetadataNotJson(AcmeRuntime):
    def _result_metadata(self, command: str, run_results: dict[str, Any]) -> dict[str, Any]:
        return {**super()._result_metadata(command, run_results), "target_dir": Path("target")}


class CatalogPathMissing(AcmeRuntime):
    def _result(
        self, command: str, project_dir: Path, outcome: Any, elapsed: float
    ) -> DBTRunResult:
        result = super()._result(command, project_dir, outcome, elapsed)
        return result.model_copy(update={"catalog_path": project_dir / "target" / "catalog.json"})


class StaleLatest(AcmeRuntime):
    """get_run_results keeps answering the first run's results."""

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        if not hasattr(self, "_first"):
            self._first = super().get_run_results(project_dir)
        return self._first


class StaleManifest(AcmeRuntime):
    """get_manifest keeps answering the first manifest it read."""

    def _cached_manifest(self, project_dir: Path) -> dict[str, Any] | None:
        return None

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        if not hasattr(self, "_first"):
            self._first = super().get_manifest(project_dir)
        return self._first


class EmptyArtifactsBeforeRun(AcmeRuntime):
    """Answers empty documents instead of saying nothing has run yet."""

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        if not (project_dir / "target" / "run_results.json").is_file():
            return {"results": []}
        return super().get_run_results(project_dir)

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        if not (project_dir / "target" / "manifest.json").is_file():
            return {"nodes": {}}
        return super().get_manifest(project_dir)
