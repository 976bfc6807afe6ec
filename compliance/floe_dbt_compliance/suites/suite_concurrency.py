"""Concurrency-serialization suite (REQ-093).

Ten ``run_models`` calls start together from threads, five on each of two
instances on one project. A runtime that says ``False`` to
``supports_parallel_execution()`` must serialise them, across instances (a
class-level lock, not a per-instance one): their ``floe.dbt.*`` invocation
spans must never overlap in time. A runtime that says ``True`` must simply
complete all ten correctly. Either way every run succeeds with the fixture's
counts and the artifacts are valid afterwards.
"""

from __future__ import annotations

import threading
from itertools import combinations
from typing import Any

import pytest

from floe_core.artifacts import count_run_results
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dbt_compliance.harness import WAREHOUSE, RuntimeHarness, RuntimeProfile
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.spans import CallTrace, SpanRecorder
from floe_dbt_compliance.warehouse import EXPECTED, HEALTHY_ROWS, model_ids, read_warehouse

RUNS = 10
_JOIN_SECONDS = 900.0


def _concurrent_runs(harness: RuntimeHarness, spans: SpanRecorder) -> list[tuple[Any, CallTrace]]:
    instances: list[DBTPlugin] = [harness.plugin, harness.another()]
    barrier = threading.Barrier(RUNS)
    outcomes: list[tuple[Any, CallTrace]] = [(None, CallTrace())] * RUNS

    def worker(index: int) -> None:
        plugin = instances[index % 2]
        barrier.wait()
        with spans.call(f"concurrent run_models #{index}") as trace:
            try:
                value: Any = plugin.run_models(
                    harness.project_dir, harness.profiles_dir, harness.target
                )
            except Exception as exc:
                value = exc
        outcomes[index] = (value, trace)

    threads = [
        threading.Thread(target=worker, args=(index,), name=f"floe-kit-run-{index}")
        for index in range(RUNS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_JOIN_SECONDS)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"concurrent runs still running after {_JOIN_SECONDS} s: {hung}"
    return outcomes


def _check_results(harness: RuntimeHarness, outcomes: list[tuple[Any, CallTrace]]) -> None:
    want = EXPECTED["healthy.run"]
    problems = []
    for index, (value, _trace) in enumerate(outcomes):
        if not isinstance(value, DBTRunResult):
            problems.append(f"run #{index} raised {type(value).__name__}: {value}")
            continue
        got = (value.models_run, value.tests_run, value.failures, value.success)
        if got != want:
            problems.append(f"run #{index} reported {got}, not {want}")
    assert not problems, "concurrent runs went wrong: " + "; ".join(problems)
    run_results = harness.plugin.get_run_results(harness.project_dir)
    assert tuple(count_run_results(run_results)) == want[:3], (
        "after the concurrent runs get_run_results() is not a complete run of the project"
    )
    manifest = harness.plugin.get_manifest(harness.project_dir)
    models = {key for key in manifest.get("nodes", {}) if key.startswith("model.")}
    assert models == model_ids(harness.project_dir, "healthy"), (
        "after the concurrent runs get_manifest() does not hold the project's models"
    )
    harness.observe(WAREHOUSE)
    warehouse = read_warehouse(harness.database_path)
    assert warehouse is not None, "the DuckDB file is missing after the concurrent runs"
    for table, rows in HEALTHY_ROWS.items():
        assert warehouse.tables.get(table) == rows, (
            f"after the concurrent runs {table} has {warehouse.tables.get(table)} rows, not {rows}"
        )


@requirement("concurrency.serialised")
def test_serialised(
    floe_dbt_harness: Any, floe_dbt_spans: SpanRecorder, floe_dbt_profile: RuntimeProfile
) -> None:
    assert floe_dbt_profile.parallel is False, floe_dbt_profile.parallel_error
    harness: RuntimeHarness = floe_dbt_harness("healthy")
    outcomes = _concurrent_runs(harness, floe_dbt_spans)
    _check_results(harness, outcomes)
    intervals = []
    for index, (_value, trace) in enumerate(outcomes):
        invocations = trace.invocation_spans()
        assert invocations, f"run #{index} emitted no floe.dbt.* span; serialisation is unprovable"
        intervals += [(index, span) for span in invocations]
    overlapping = [
        f"{first.name} of run #{a} and {second.name} of run #{b}"
        for (a, first), (b, second) in combinations(intervals, 2)
        if a != b
        and first.start_time is not None
        and second.start_time is not None
        and first.end_time is not None
        and second.end_time is not None
        and first.start_time < second.end_time
        and second.start_time < first.end_time
    ]
    assert not overlapping, (
        f"supports_parallel_execution() is False but invocations overlapped: {overlapping[:5]}"
        f"{' ...' if len(overlapping) > 5 else ''}"
    )


@requirement("concurrency.parallel")
@pytest.mark.usefixtures("floe_dbt_runtime")
def test_parallel(floe_dbt_harness: Any, floe_dbt_spans: SpanRecorder) -> None:
    harness: RuntimeHarness = floe_dbt_harness("healthy")
    _check_results(harness, _concurrent_runs(harness, floe_dbt_spans))
