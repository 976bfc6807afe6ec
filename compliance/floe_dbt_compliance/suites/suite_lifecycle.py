"""Lifecycle suite (issue 12): seed, snapshot, build and vars, for runtimes that declare them.

A runtime has the ``lifecycle`` capability when it subclasses
:class:`floe_core.lifecycle.DBTLifecycle`; without it every row here is n/a
and the runtime is still compliant. With it, one copy of the ``lifecycle``
fixture project is brought up step by step (seeds with a bad row, a build
whose failing test skips what is downstream, vars bound and given, a
snapshot run again after its data changed, a seed whose columns changed)
and every call must end as the same command ends on plain dbt-core.
"""

from __future__ import annotations

import pytest

from floe_dbt_compliance import checks
from floe_dbt_compliance.observe import ASPECTS
from floe_dbt_compliance.projects import fixture_dir
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns, agree
from floe_dbt_compliance.scenarios import Scenario, edit, step

_ORDERS = (fixture_dir("lifecycle") / "seeds" / "orders.csv").read_text(encoding="utf-8")
_CUSTOMERS_WIDER = "id,name,region,tier\n1,Ada,eu,gold\n2,Grace,us,silver\n3,Edsger,eu,gold\n"
_BY_REGION = "customers_by_region big_orders"

LIFECYCLE = Scenario.on_fixture(
    "lifecycle",
    "lifecycle",
    step("seed_all", "seed"),
    step("seed_select", "seed", select="customers orders"),
    step("build", "build", exclude="bad_amounts"),
    step("hostile_seed", "seed", select="orders --full-refresh"),
    step("hostile_vars", "build", select="big_orders", vars={"min_amount": float("nan")}),
    step("hostile_bound", "snapshot", bound_vars={"": 1}),
    step("hostile_exclude", "snapshot", exclude="orders_snapshot;drop"),
    step("snapshot_first", "snapshot"),
    edit("change_order", "seeds/orders.csv", _ORDERS.replace("12,2,15,placed", "12,2,15,shipped")),
    step("seed_changed", "seed", select="orders"),
    step("snapshot_second", "snapshot"),
    step("seed_exclude", "seed", exclude="bad_amounts orders"),
    edit("widen_customers", "seeds/customers.csv", _CUSTOMERS_WIDER),
    step("seed_widened", "seed", select="customers"),
    step("seed_full_refresh", "seed", select="customers", full_refresh=True),
    # Last: every change of vars makes dbt parse the whole project again, so a
    # selection of rows that stops before here (--floe-dbt-requirement) is cheap.
    step("vars_build", "build", select=_BY_REGION, vars={"region": "us", "min_amount": 30}),
    step(
        "vars_merge",
        "build",
        select=_BY_REGION,
        vars={"region": "eu"},
        bound_vars={"region": "us", "min_amount": 50},
    ),
    step("vars_run", "run_models", select=_BY_REGION, bound_vars={"region": "us"}),
    step("vars_test", "run_tests", select="region_matches", bound_vars={"region": "eu"}),
    step("plain_run", "run_models", select=_BY_REGION),
)
_WITHOUT_COUNTS = tuple(aspect for aspect in ASPECTS if aspect != "lifecycle")
ROWS: dict[str, tuple[str, ...]] = {
    "lifecycle.seed": ("seed_select", "seed_exclude"),
    "lifecycle.seed-failure": ("seed_all",),
    "lifecycle.seed-full-refresh": ("seed_widened", "seed_full_refresh"),
    "lifecycle.snapshot": ("snapshot_first", "seed_changed", "snapshot_second"),
    "lifecycle.build": ("build",),
    "lifecycle.vars": ("vars_build", "vars_merge"),
    "lifecycle.with-vars": ("vars_run", "vars_test", "plain_run"),
    "lifecycle.hostile-input": ("hostile_seed", "hostile_vars", "hostile_bound", "hostile_exclude"),
}
#: Rows whose promise shows only in the warehouse (n/a where it cannot be observed).
WAREHOUSE_ROWS = frozenset({"lifecycle.snapshot", "lifecycle.vars", "lifecycle.with-vars"})
COUNTED = ("seed_all", "seed_select", "build", "snapshot_first", "snapshot_second")
SPANNED = ("seed_all", "build", "vars_merge", "snapshot_first")


@pytest.fixture(scope="module")
def lifecycle(floe_dbt_scenarios: ScenarioRuns) -> ScenarioRun:
    return floe_dbt_scenarios(LIFECYCLE)


@pytest.mark.parametrize("key", [pytest.param(key, id=key, marks=requirement(key)) for key in ROWS])
def test_lifecycle_agrees_with_reference(key: str, lifecycle: ScenarioRun) -> None:
    agree([(lifecycle, ROWS[key])], _WITHOUT_COUNTS, needs_warehouse=key in WAREHOUSE_ROWS)


@requirement("lifecycle.with-vars")
def test_with_vars_returns_a_new_runtime(lifecycle: ScenarioRun) -> None:
    plugin = lifecycle.harness.plugin
    bound = plugin.with_vars({"region": "eu"})  # type: ignore[attr-defined]
    assert bound is not plugin, "with_vars() returned the runtime itself, not a new one"
    assert type(bound) is type(plugin), (
        f"with_vars() returned a {type(bound).__qualname__}, not a {type(plugin).__qualname__}"
    )


@requirement("lifecycle.counts")
def test_lifecycle_counts(lifecycle: ScenarioRun) -> None:
    agree([(lifecycle, COUNTED)], ("raised", "lifecycle"))


@requirement("lifecycle.spans")
def test_lifecycle_spans(lifecycle: ScenarioRun) -> None:
    calls = lifecycle.calls(SPANNED)
    checks.check_spans_invoked(calls)
    metadata = lifecycle.harness.plugin.get_runtime_metadata()
    checks.check_span_attributes(calls, str(metadata.get("type")), lifecycle.harness.target)
    checks.check_span_status(calls)
