"""Lifecycle suite (issue 12): seed, snapshot, build and vars, for runtimes that declare them.

A runtime has the ``lifecycle`` capability when it subclasses
:class:`floe_core.lifecycle.DBTLifecycle`; without it every row here is n/a
and the runtime is still compliant. With it, one copy of the ``lifecycle``
fixture project is brought up step by step
(:data:`~floe_dbt_compliance.fixture_scenarios.LIFECYCLE`), and every row the
catalogue declares for the lifecycle area and ``Observes.ORACLE`` is a case
of :func:`test_lifecycle_agrees_with_reference`: each step it reads must end
as the same command ends on plain dbt-core.
"""

from __future__ import annotations

import pytest

from floe_dbt_compliance import checks
from floe_dbt_compliance.catalogue import select
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import LIFECYCLE
from floe_dbt_compliance.requirements import each_row, requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns, agree


@pytest.fixture
def lifecycle(floe_dbt_scenarios: ScenarioRuns) -> ScenarioRun:
    """The module's run of the scenario (memoised): built only for a row that applies."""
    return floe_dbt_scenarios(LIFECYCLE)


@each_row(select(Observes.ORACLE, areas={"lifecycle"}))
def test_lifecycle_agrees_with_reference(
    row: Requirement, floe_dbt_scenarios: ScenarioRuns
) -> None:
    agree([(floe_dbt_scenarios(scenario), steps) for scenario, steps in row.reads], row.aspects)


@requirement("lifecycle.with-vars")
def test_with_vars_returns_a_new_runtime(lifecycle: ScenarioRun) -> None:
    plugin = lifecycle.harness.plugin
    bound = plugin.with_vars({"region": "eu"})  # type: ignore[attr-defined]
    assert bound is not plugin, "with_vars() returned the runtime itself, not a new one"
    assert type(bound) is type(plugin), (
        f"with_vars() returned a {type(bound).__qualname__}, not a {type(plugin).__qualname__}"
    )


@requirement("lifecycle.spans")
def test_lifecycle_spans(
    lifecycle: ScenarioRun, floe_dbt_scenarios: ScenarioRuns, floe_dbt_row: Requirement
) -> None:
    calls = [
        call
        for scenario, steps in floe_dbt_row.reads
        for call in floe_dbt_scenarios(scenario).calls(steps)
    ]
    checks.check_spans_invoked(calls)
    metadata = lifecycle.harness.plugin.get_runtime_metadata()
    checks.check_span_attributes(calls, str(metadata.get("type")), lifecycle.harness.target)
    checks.check_span_status(calls)
