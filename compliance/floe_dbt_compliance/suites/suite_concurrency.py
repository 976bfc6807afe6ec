"""Concurrency suite (REQ-093): calls that start together, on two instances of one project.

After one sequential ``run_models()``, a batch of calls starts together from
threads, alternating between two instances: every method that invokes dbt
(``compile_project``, ``run_models``, ``run_tests``, and ``build`` when the
runtime has the lifecycle capability). A runtime that says ``False`` to
``supports_parallel_execution()`` must serialise them across instances (a
class-level lock, not a per-instance one): their ``floe.dbt.*`` spans never
overlap. A runtime that says ``True`` runs a batch of runs and compiles.
Either way each call must end as the same call ends on the reference after
that first run, and the warehouse and the latest artifacts afterwards must
be the reference's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.checks import fail_all
from floe_dbt_compliance.observe import Observation, compare, manifest_ids, node_statuses
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.recorder import Call, Recorder, observe_call
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns
from floe_dbt_compliance.scenarios import Scenario, step
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.warehouse import read_location

# How long a batch may run before its calls count as hung (a deadlock): each call may
# take three times as long as the first, serial call did (which parsed the project),
# all of them one after another, plus a minute.
_JOIN_FACTOR = 3.0
_JOIN_FLOOR_SECONDS = 60.0
_SEQUENCE = (
    step("first", "run_models"),
    step("run", "run_models"),
    step("test", "run_tests"),
    step("compile", "compile_project"),
)
SERIAL = Scenario.on_fixture("concurrency", "healthy", *_SEQUENCE)
SERIAL_LIFECYCLE = Scenario.on_fixture(
    "concurrency-lifecycle", "healthy", *_SEQUENCE, step("build", "build")
)
# Every method on both instances (calls alternate between them).
SERIAL_BATCH = ("run", "test", "compile", "run", "test", "compile")
PARALLEL_BATCH = ("run", "compile", "run", "compile", "run", "compile")


@dataclass
class Batch:
    """The calls of the batch and the scenario run that holds the reference's answers."""

    run: ScenarioRun
    calls: list[Call]


def _concurrent(
    run: ScenarioRun, spans: SpanRecorder, keys: tuple[str, ...], single_seconds: float
) -> list[Call]:
    harness = run.harness
    instances = [harness.plugin, harness.another()]
    recorder = Recorder(harness, spans, warehouse=False, artifacts=False)
    barrier = threading.Barrier(len(keys))
    calls: list[Call | None] = [None] * len(keys)

    def worker(index: int) -> None:
        plan = run.scenario.steps[run.scenario.index(keys[index])]
        plugin: Any = instances[index % 2]
        barrier.wait()
        calls[index] = recorder.call(
            f"concurrent #{index} {plan.label} on instance {index % 2 + 1}",
            lambda: getattr(plugin, plan.method)(
                harness.project_dir, harness.profiles_dir, harness.target
            ),
            step=plan,
        )

    threads = [
        # daemon: a hung call must not keep the session from ending
        threading.Thread(target=worker, args=(index,), name=f"floe-kit-call-{index}", daemon=True)
        for index in range(len(keys))
    ]
    for thread in threads:
        thread.start()
    limit = _JOIN_FLOOR_SECONDS + _JOIN_FACTOR * len(keys) * single_seconds
    deadline = time.monotonic() + limit
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, (
        f"concurrent calls still running after {limit:.0f} s (the first call alone took "
        f"{single_seconds:.1f} s): {hung}"
    )
    return [call for call in calls if call is not None]


def _batch(runs: ScenarioRuns, profile: RuntimeProfile, spans: SpanRecorder, serial: bool) -> Batch:
    lifecycle = serial and _has_lifecycle(profile)
    run = runs(SERIAL_LIFECYCLE if lifecycle else SERIAL)
    keys: tuple[str, ...] = PARALLEL_BATCH
    if serial:
        keys = (*SERIAL_BATCH, "build", "build") if lifecycle else SERIAL_BATCH
    first = run.call("first")
    first.returned()
    return Batch(run, _concurrent(run, spans, keys, first.seconds))


def _has_lifecycle(profile: RuntimeProfile) -> bool:
    return Capability.LIFECYCLE in profile.capabilities


def _check_outcomes(batch: Batch) -> None:
    """Each call ends as on the reference; the warehouse and latest artifacts are dbt's."""
    run = batch.run
    problems = []
    for call in batch.calls:
        assert call.step is not None
        differences = compare(run.expected(call.step.key), observe_call(call), ("raised", "counts"))
        problems += [f"{call.label}: {difference}" for difference in differences]
    harness = run.harness
    expected_nodes = {
        key: run.expected(key).nodes for key in {c.step.key for c in batch.calls if c.step}
    }
    latest = node_statuses(harness.plugin.get_run_results(harness.project_dir)) or {}
    # A compile's run_results: every node of the project's manifest, each "success".
    compiled = set(latest) <= set(run.expected("compile").manifest or ()) and set(
        latest.values()
    ) == {"success"}
    if not compiled and latest not in [n for n in expected_nodes.values() if n is not None]:
        problems.append(
            "after the concurrent calls get_run_results() is none of the calls' run_results "
            f"as dbt writes them (its nodes: {latest})"
        )
    manifest = manifest_ids(harness.plugin.get_manifest(harness.project_dir))
    if manifest != run.expected("compile").manifest:
        problems.append(
            "after the concurrent calls get_manifest() does not hold the project's nodes"
        )
    if run.recorder.warehouse:
        final = Observation(warehouse=read_location(run.recorder.location))
        last = run.scenario.steps[-1].key
        problems += [
            f"after the concurrent calls, {difference}"
            for difference in compare(run.expected(last), final, ("warehouse",))
        ]
    fail_all(problems)


def _check_no_overlap(calls: list[Call]) -> None:
    intervals = []
    for call in calls:
        invocations = call.trace.invocation_spans()
        assert invocations, f"{call.label} emitted no floe.dbt.* span; serialisation is unprovable"
        intervals += [(call.label, span) for span in invocations]
    overlapping = [
        f"{first.name} of {a} and {second.name} of {b}"
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
        f"supports_parallel_execution() is not True but invocations overlapped: {overlapping[:4]}"
        f"{' ...' if len(overlapping) > 4 else ''}"
    )


@requirement("concurrency.serialised")
def test_serialised(
    floe_dbt_scenarios: ScenarioRuns, floe_dbt_spans: SpanRecorder, floe_dbt_profile: RuntimeProfile
) -> None:
    assert floe_dbt_profile.parallel is False, floe_dbt_profile.parallel_error
    batch = _batch(floe_dbt_scenarios, floe_dbt_profile, floe_dbt_spans, serial=True)
    _check_no_overlap(batch.calls)
    _check_outcomes(batch)


@requirement("concurrency.parallel")
@pytest.mark.usefixtures("floe_dbt_runtime")
def test_parallel(
    floe_dbt_scenarios: ScenarioRuns, floe_dbt_spans: SpanRecorder, floe_dbt_profile: RuntimeProfile
) -> None:
    _check_outcomes(_batch(floe_dbt_scenarios, floe_dbt_profile, floe_dbt_spans, serial=False))
