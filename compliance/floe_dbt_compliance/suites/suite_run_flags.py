"""Fail-fast and state suite (issue 24): dbt's -x, state: selectors and --defer, when declared.

A runtime has the ``fail_fast`` capability when it subclasses
:class:`floe_core.run_flags.DBTFailFast` and the ``state`` capability when
it subclasses :class:`floe_core.run_flags.DBTStateSelection`; without one,
its rows are n/a and the runtime is still compliant. Every row of the two
areas is a case of :func:`test_run_flags_agree_with_reference`: the steps it
reads, each on a runtime bound as the step says, must end as the same dbt
command with ``--fail-fast`` / ``--state`` / ``--defer`` ends on plain
dbt-core (the node statuses, the counts, the exception; the warehouse for
state). The bound runtime must be a new one of the same class.
"""

from __future__ import annotations

from pathlib import Path

from floe_dbt_compliance.catalogue import select
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import FAIL_FAST, STATE
from floe_dbt_compliance.requirements import each_row, requirement
from floe_dbt_compliance.runs import ScenarioRuns, agree

AREAS = {"fail-fast", "state"}


@each_row(select(Observes.ORACLE, areas=AREAS))
def test_run_flags_agree_with_reference(row: Requirement, floe_dbt_scenarios: ScenarioRuns) -> None:
    agree([(floe_dbt_scenarios(scenario), steps) for scenario, steps in row.reads], row.aspects)


def _check_new_runtime(plugin: object, bound: object, method: str) -> None:
    assert bound is not plugin, f"{method} returned the runtime itself, not a new one"
    assert type(bound) is type(plugin), (
        f"{method} returned a {type(bound).__qualname__}, not a {type(plugin).__qualname__}"
    )


@requirement("fail-fast.bound")
def test_with_fail_fast_returns_a_new_runtime(floe_dbt_scenarios: ScenarioRuns) -> None:
    plugin = floe_dbt_scenarios(FAIL_FAST).harness.plugin
    bound = plugin.with_fail_fast()  # type: ignore[attr-defined]
    _check_new_runtime(plugin, bound, "with_fail_fast()")


@requirement("state.bound")
def test_with_state_returns_a_new_runtime(floe_dbt_scenarios: ScenarioRuns) -> None:
    run = floe_dbt_scenarios(STATE)
    plugin = run.harness.plugin
    bound = plugin.with_state(Path(run.harness.project_dir) / "prod-state")  # type: ignore[attr-defined]
    _check_new_runtime(plugin, bound, "with_state()")
