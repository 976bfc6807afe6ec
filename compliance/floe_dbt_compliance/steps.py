"""Calling a runtime and recording everything the checks read about that call.

One expensive sequence of invocations (a *scenario*) is shared by several
requirement checks; each :class:`Step` keeps the call's value or exception, its
spans, the artifacts as they were right after it, what ``get_manifest`` /
``get_run_results`` answered then, and the warehouse's state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from floe_core.artifacts import count_run_results
from floe_core.plugin_interfaces import DBTRunResult
from floe_dbt_compliance.harness import WAREHOUSE, RuntimeHarness
from floe_dbt_compliance.spans import CallTrace, SpanRecorder
from floe_dbt_compliance.warehouse import Warehouse, read_warehouse

__all__ = ["Step", "StepRunner", "executed_ids", "expect_counts", "read_json"]


def read_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file (the kit's own reading, independent of the runtime)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return document


def executed_ids(run_results: dict[str, Any], prefix: str = "model.") -> set[str]:
    """Unique ids of the nodes with ``prefix`` that executed (not skipped)."""
    return {
        str(result["unique_id"])
        for result in run_results.get("results", [])
        if str(result.get("unique_id", "")).startswith(prefix)
        and str(result.get("status", "")).lower() != "skipped"
    }


@dataclass
class Step:
    """One recorded call.

    Attributes:
        label: What was called, e.g. ``run_models(select='fct_orders')``.
        command: The dbt command it invokes (``compile``/``run``/``test``), if any.
        value: What the call returned.
        error: What it raised.
        trace: Its spans.
        run_results: The result's ``run_results.json``, read right after the call.
        manifest: The result's ``manifest.json``, read right after the call.
        artifact_error: Why those files could not be read.
        latest_run_results: ``get_run_results()`` right after the call (or the exception).
        latest_manifest: ``get_manifest()`` right after the call (or the exception).
        warehouse: The DuckDB state right after the call.
        warehouse_error: Why it could not be read.
        harness: The harness it was called through (it says what cannot be observed).
    """

    label: str
    command: str | None
    value: Any = None
    error: BaseException | None = None
    trace: CallTrace = field(default_factory=CallTrace)
    run_results: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    artifact_error: str | None = None
    latest_run_results: dict[str, Any] | BaseException | None = None
    latest_manifest: dict[str, Any] | BaseException | None = None
    warehouse: Warehouse | None = None
    warehouse_error: str | None = None
    harness: RuntimeHarness | None = None

    def returned(self) -> Any:
        """The value, failing the check when the call raised."""
        if self.error is not None:
            pytest.fail(
                f"{self.label} raised {type(self.error).__name__}: {self.error}", pytrace=False
            )
        return self.value

    def result(self) -> DBTRunResult:
        """The :class:`DBTRunResult` the call returned, with its artifacts read."""
        value = self.returned()
        assert isinstance(value, DBTRunResult), (
            f"{self.label} returned {type(value).__name__}, not DBTRunResult"
        )
        assert self.run_results is not None, (
            f"{self.label}: the result's run_results.json could not be read: {self.artifact_error}"
        )
        return value

    def effects(self) -> Warehouse:
        """The warehouse state after the call (n/a when the harness cannot observe it)."""
        if self.harness is not None:
            self.harness.observe(WAREHOUSE)
        assert self.warehouse is not None, (
            f"after {self.label} the kit could not read the DuckDB file the fixture's profile "
            f"names: {self.warehouse_error or 'it does not exist (or the harness gives none)'}"
        )
        return self.warehouse


def expect_counts(step: Step, expected: tuple[int, int, int, bool]) -> DBTRunResult:
    """Check a result's counts against the fixture's and against its own run_results.json.

    Returns:
        The result, for further checks.
    """
    result = step.result()
    models, tests, failures, _success = expected
    got = (result.models_run, result.tests_run, result.failures, result.success)
    assert got == expected, (
        f"{step.label} reported (models_run, tests_run, failures, success) = {got}; "
        f"the fixture project produces {expected}"
    )
    assert step.run_results is not None
    recount = count_run_results(step.run_results)
    assert recount == (models, tests, failures), (
        f"{step.label}: its run_results.json counts {tuple(recount)} (models, tests, failures) "
        f"but the fixture project produces {(models, tests, failures)}"
    )
    return result


class StepRunner:
    """Calls a runtime through its harness and records :class:`Step` s.

    Args:
        harness: The runtime and its project.
        spans: The kit's span recorder.
        read_latest: Also record ``get_manifest`` / ``get_run_results`` after each call.
    """

    def __init__(
        self, harness: RuntimeHarness, spans: SpanRecorder, *, read_latest: bool = True
    ) -> None:
        self.harness = harness
        self.spans = spans
        self.read_latest = read_latest
        self.steps: dict[str, Step] = {}

    def call(self, key: str, label: str, command: str | None, function: Callable[[], Any]) -> Step:
        """Call ``function`` in its own trace and record what followed from it."""
        step = Step(label=label, command=command, harness=self.harness)
        with self.spans.call(label) as trace:
            try:
                step.value = function()
            except Exception as exc:
                step.error = exc
        step.trace = trace
        if isinstance(step.value, DBTRunResult):
            try:
                step.run_results = read_json(step.value.run_results_path)
                step.manifest = read_json(step.value.manifest_path)
            except (OSError, ValueError) as exc:
                step.artifact_error = f"{type(exc).__name__}: {exc}"
        elif isinstance(step.value, Path):
            try:
                step.manifest = read_json(step.value)
            except (OSError, ValueError) as exc:
                step.artifact_error = f"{type(exc).__name__}: {exc}"
        if self.read_latest and command is not None:
            plugin, project_dir = self.harness.plugin, self.harness.project_dir
            step.latest_run_results = _answer(lambda: plugin.get_run_results(project_dir))
            step.latest_manifest = _answer(lambda: plugin.get_manifest(project_dir))
        try:
            step.warehouse = read_warehouse(self.harness.database_path)
        except Exception as exc:
            step.warehouse_error = f"{type(exc).__name__}: {exc}"
        self.steps[key] = step
        return step

    def compile(self, key: str = "compile") -> Step:
        """Record ``compile_project``."""
        h = self.harness
        return self.call(
            key,
            "compile_project()",
            "compile",
            lambda: h.plugin.compile_project(h.project_dir, h.profiles_dir, h.target),
        )

    def run(self, key: str, **options: Any) -> Step:
        """Record ``run_models`` with ``select``/``exclude``/``full_refresh`` options."""
        h = self.harness
        shown = ", ".join(f"{name}={value!r}" for name, value in options.items())
        return self.call(
            key,
            f"run_models({shown})",
            "run",
            lambda: h.plugin.run_models(h.project_dir, h.profiles_dir, h.target, **options),
        )

    def test(self, key: str) -> Step:
        """Record ``run_tests``."""
        h = self.harness
        return self.call(
            key,
            "run_tests()",
            "test",
            lambda: h.plugin.run_tests(h.project_dir, h.profiles_dir, h.target),
        )

    def plan(self, *steps: tuple[str, Callable[[StepRunner], Step]]) -> StepRunner:
        """Declare a sequence to run lazily: ``runner[key]`` runs it up to ``key``.

        A check that reads an early step costs only the invocations before it,
        which keeps a kit session that selects one requirement cheap.
        """
        self._plan = list(steps)
        return self

    def __getitem__(self, key: str) -> Step:
        while key not in self.steps and getattr(self, "_plan", None):
            _name, perform = self._plan.pop(0)
            perform(self)
        return self.steps[key]


def _answer(function: Callable[[], Any]) -> Any:
    try:
        return function()
    except Exception as exc:
        return exc
