"""Chaos (``--floe-dbt-chaos SEED``): the remote calls under seeded random faults end as fault-free.

Two copies of the healthy project: on one, ``compile_project``,
``run_models`` and ``run_tests`` (then ``seed`` and ``build`` for a runtime
with the lifecycle capability) with no fault; on the other, the same calls
with the faults :func:`floe_dbt_compliance.chaos.plan` draws from the seed
injected into the runtime's remote service before each call. Every call must
end as its fault-free twin did (the result's success and counts, or the error
type; the manifest's nodes) and leave the warehouse as its twin left it. The
faults that fired (read from the service's request log, not the plan) go into
the runtime's certificate beside the seed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import COMMANDS
from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.chaos import CALLS, LIFECYCLE_CALLS, Fired, describe, sequence
from floe_dbt_compliance.kit import ComplianceKit
from floe_dbt_compliance.observe import manifest_ids
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.recorder import Call
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns
from floe_dbt_compliance.scenarios import Scenario, step

CALM = Scenario.on_fixture("chaos-calm", "healthy", step("compile", "compile_project"))
STORM = Scenario.on_fixture("chaos-storm", "healthy", step("compile", "compile_project"))


def _sequence(
    run: ScenarioRun, seed: int | None, names: tuple[str, ...]
) -> dict[str, tuple[Call, Fired]]:
    """The calls, each with the faults that fired during it (:func:`chaos.injected`)."""
    h = run.harness
    service = h.remote
    assert service is not None

    def invoke(name: str) -> Call:
        method = getattr(h.plugin, COMMANDS[name].method)
        label = f"{name} under chaos seed {seed}" if seed is not None else f"{name}, no fault"
        return run.recorder.call(label, lambda: method(h.project_dir, h.profiles_dir, h.target))

    return sequence(service, seed, invoke, names)


def _ending(call: Call) -> tuple[Any, ...]:
    if call.error is not None:
        return ("raised", type(call.error).__name__)
    value = call.value
    if isinstance(value, DBTRunResult):
        return (value.success, value.models_run, value.tests_run, value.failures)
    return ("returned", type(value).__name__)


@pytest.fixture(scope="module")
def chaos_of(
    floe_dbt_scenarios: ScenarioRuns,
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    floe_dbt_profile: RuntimeProfile,
) -> Callable[[], tuple[dict[str, Any], dict[str, Any], int]]:
    """Both sequences, run on first use: (fault-free, under chaos, seed).

    The faults that fired under chaos are recorded for the runtime's certificate.
    """

    @functools.cache
    def both() -> tuple[dict[str, Any], dict[str, Any], int]:
        seed = floe_dbt_kit.chaos
        assert seed is not None
        names = CALLS
        if Capability.LIFECYCLE in floe_dbt_profile.capabilities:
            names += LIFECYCLE_CALLS
        calm = _sequence(floe_dbt_scenarios(CALM), None, names)
        storm = _sequence(floe_dbt_scenarios(STORM), seed, names)
        floe_dbt_kit.record_chaos(
            floe_dbt_runtime,
            seed,
            describe(seed, names),
            [fault for _, fired in storm.values() for fault in fired],
        )
        return calm, storm, seed

    return both


@requirement("remote.chaos")
def test_chaos_ends_as_calm(
    chaos_of: Callable[[], tuple[dict[str, Any], dict[str, Any], int]],
) -> None:
    calm, storm, seed = chaos_of()
    problems = []
    for name in calm:
        (quiet, _), (stormy, met) = calm[name], storm[name]
        shown = ", ".join(f"{f['fault']} on {f['method']} {f['path']}" for f in met)
        where = f"{name} under chaos seed {seed} (faults met: {shown or 'none'})"
        assert quiet.error is None, f"{name} failed with no fault at all: {quiet.error!r}"
        if _ending(stormy) != _ending(quiet):
            detail = repr(stormy.error) if stormy.error is not None else _ending(stormy)
            problems.append(f"{where} ended {detail}, fault-free {_ending(quiet)}")
            continue
        if manifest_ids(stormy.manifest) != manifest_ids(quiet.manifest):
            problems.append(f"{where}: its manifest's nodes differ from the fault-free call's")
        if stormy.warehouse != quiet.warehouse:
            problems.append(f"{where}: the warehouse differs from the fault-free call's")
    assert not problems, "; ".join(problems)
    assert any(met for _, met in storm.values()), f"chaos seed {seed}: no fault reached the service"
