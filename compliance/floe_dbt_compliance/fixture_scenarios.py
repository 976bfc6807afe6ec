"""The scenarios the kit runs on its fixture projects, and the groups of steps rows share.

Each scenario runs on one fresh copy per runtime (and one for the
reference), lazily: a row costs the steps up to the last one it reads.
Which steps a row reads is part of its declaration in
:mod:`floe_dbt_compliance.catalogue`; the groups here are the steps several
rows read alike (the results, the spans, the secrets).
"""

from __future__ import annotations

from floe_dbt_compliance.projects import fixture_dir
from floe_dbt_compliance.scenarios import Scenario, edit, keep_state, link, step

__all__ = [
    "ALL",
    "BAD_PROFILE",
    "BAD_TARGET",
    "COMPILE_ERROR",
    "FAIL_FAST",
    "FAIL_FAST_BUILD",
    "FAIL_FAST_TESTS",
    "HEALTHY",
    "HOSTILE_STEPS",
    "INCREMENTAL",
    "LATEST_CALLS",
    "LIFECYCLE",
    "MENTIONS",
    "PACKAGED",
    "REPEATED",
    "RESULT_CALLS",
    "SCENARIOS",
    "SECRET_CALLS",
    "SELECTORS",
    "SPAN_CALLS",
    "SQL_ERROR",
    "STATE",
    "TESTS",
    "UNPARSEABLE",
    "UNREADABLE",
]

HOSTILE_STEPS = ("hostile_select", "hostile_exclude", "hostile_test", "hostile_target")

HEALTHY = Scenario.on_fixture(
    "healthy",
    "healthy",
    step("compile", "compile_project"),
    step("run", "run_models"),
    # Not dbt syntax: refused before anything runs. Split into arguments, the
    # first would rebuild fct_orders from scratch; the target would be a flag.
    step("hostile_select", "run_models", select="fct_orders --full-refresh"),
    step("hostile_exclude", "run_models", exclude="customers;drop"),
    step("hostile_test", "run_tests", select="customers\n--target=prod"),
    step("hostile_target", "run_models", target="dev --full-refresh"),
    step("test", "run_tests"),
    step("test_select", "run_tests", select="customers"),
)
INCREMENTAL = Scenario.on_fixture(
    "incremental",
    "healthy",
    step("run", "run_models"),
    step("select", "run_models", select="fct_orders"),
    step("full_refresh", "run_models", full_refresh=True),
    step("exclude", "run_models", exclude="fct_orders"),
)
SELECTORS = Scenario.on_fixture(
    "selectors",
    "healthy",
    step("graph", "run_models", select="+customers"),
    step("select_exclude", "run_models", select="tag:mart stg_orders", exclude="fct_orders"),
    step("union", "run_models", select="path:models/staging tag:raw"),
    # Each answer differs from what a misread operator selects: an intersection
    # read as a union, a depth limit dropped, "@" read as "+" or dropped.
    step("intersection", "run_models", select="+customers,tag:raw"),
    step("depth", "run_models", select="1+customers"),
    step("at", "run_models", select="@raw_customers"),
)
TESTS = Scenario.on_fixture(
    "test_outcomes",
    "test_outcomes",
    step("run", "run_models"),
    step("test_fail", "run_tests", select="fail_large_amounts"),
    step("test_warn", "run_tests", select="tag:warnings"),
)
SQL_ERROR = Scenario.on_fixture(
    "sql_error",
    "sql_error",
    step("run", "run_models"),
    edit("fix", "models/broken.sql", "select 1 as id, 'fixed' as state\n"),
    step("run_fixed", "run_models"),
)
COMPILE_ERROR = Scenario.on_fixture(
    "compile_error", "compile_error", step("compile", "compile_project"), step("run", "run_models")
)
UNPARSEABLE = Scenario.on_fixture(
    "unparseable",
    "unparseable",
    step("compile", "compile_project"),
    step("run", "run_models"),
    step("test", "run_tests"),
)
BAD_PROFILE = Scenario.on_fixture(
    "bad_profile",
    "bad_profile",
    step("compile", "compile_project"),
    step("run", "run_models"),
    step("test", "run_tests"),
)
BAD_TARGET = Scenario.on_fixture(
    "bad_target",
    "healthy",
    step("compile", "compile_project", target="nope"),
    step("run", "run_models", target="nope"),
    step("test", "run_tests", target="nope"),
)
# What dbt cannot read, outside the contract's own arguments: a project directory
# that does not resolve, then a model file that links to itself. dbt fails on
# both before anything runs; a runtime that looks at the project first (to
# resolve it, hash it, upload it) must fail the same way, never with OSError.
UNREADABLE = Scenario.on_fixture(
    "unreadable",
    "healthy",
    link("loop_dir", "loop", "loop"),
    step("compile_loop", "compile_project", project_dir="loop"),
    step("run_loop", "run_models", project_dir="loop"),
    step("test_loop", "run_tests", project_dir="loop"),
    link("loop_file", "models/loop.sql", "loop.sql"),
    step("compile", "compile_project"),
    step("run", "run_models"),
    step("test", "run_tests"),
)
# One runtime calling dbt again and again on an unchanged project: each call
# must behave as a fresh dbt invocation. Ephemeral models show what an earlier
# call leaves behind in a reused manifest (their CTEs are injected once only).
REPEATED = Scenario.on_fixture(
    "repeated",
    "ephemeral",
    step("run", "run_models"),
    step("run_again", "run_models"),
    step("run_child", "run_models", select="amounts"),
    step("test", "run_tests"),
    step("test_again", "run_tests"),
)
# A project with a (local) package, installed in the copy as `dbt deps` installs one:
# a link in dbt_packages/. A runtime that runs the project elsewhere must install
# the packages there itself, as dbt Cloud does at the start of every run.
PACKAGED = Scenario.on_fixture(
    "packaged",
    "packaged",
    link("deps", "dbt_packages/helpers", "../packages/helpers"),
    step("run", "run_models"),
    step("test", "run_tests"),
)
_EDITED_ORDERS = "select id, amount, amount * 2 as doubled from {{ ref('raw_orders') }}\n"
_ORDERS = (fixture_dir("lifecycle") / "seeds" / "orders.csv").read_text(encoding="utf-8")
_CUSTOMERS_WIDER = "id,name,region,tier\n1,Ada,eu,gold\n2,Grace,us,silver\n3,Edsger,eu,gold\n"
_BY_REGION = "customers_by_region big_orders"
# One copy of the lifecycle project brought up step by step: seeds with a bad
# row, a build whose failing test skips what is downstream, vars bound and
# given, a snapshot run again after its data changed, a seed whose columns changed.
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
# Fail-fast (dbt's -x): the first failure stops the invocation and every node that
# did not finish is skipped, with one thread in dbt's own order (measured stable).
# Each answer differs from the same call without -x: `independent` runs, the tests
# after the failing one pass, the seeds and models after the bad seed are built.
# Then the runtime it was bound from runs without -x.
FAIL_FAST = Scenario.on_fixture(
    "fail_fast",
    "sql_error",
    step("run_x", "run_models", fail_fast=True),
    step("run", "run_models"),
)
FAIL_FAST_TESTS = Scenario.on_fixture(
    "fail_fast_tests",
    "test_outcomes",
    step("run", "run_models"),
    step("test_x", "run_tests", fail_fast=True),
)
FAIL_FAST_BUILD = Scenario.on_fixture(
    "fail_fast_build", "lifecycle", step("build_x", "build", fail_fast=True)
)
_SLIM = "state:modified+"
# Slim CI: production (target prod, schema <schema>_prod) is built and its manifest
# kept as the state; `orders` is changed, and a plain run on dev leaves the changed
# project's manifest in target/ (a runtime comparing with its own latest manifest
# instead of the state finds nothing modified); the change is then built on dev.
# Without --defer orders fails (its parent was never built on dev) and big_orders is skipped; with
# it, orders reads prod's raw_orders. The runtime it was bound from then runs
# orders without state: it fails again.
STATE = Scenario.on_fixture(
    "state",
    "slim_ci",
    step("prod", "run_models", target="prod"),
    keep_state("keep_prod", "prod-state"),
    edit("change_orders", "models/orders.sql", _EDITED_ORDERS),
    step("dev_customers", "run_models", select="customers"),
    step("modified", "run_models", select=_SLIM, state="prod-state"),
    step("modified_tests", "run_tests", select=_SLIM, state="prod-state"),
    step("deferred", "run_models", select=_SLIM, state="prod-state", defer=True),
    step("deferred_tests", "run_tests", select=_SLIM, state="prod-state", defer=True),
    step("plain", "run_models", select="orders"),
)
SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        HEALTHY,
        INCREMENTAL,
        SELECTORS,
        TESTS,
        SQL_ERROR,
        COMPILE_ERROR,
        UNPARSEABLE,
        BAD_PROFILE,
        BAD_TARGET,
        UNREADABLE,
        REPEATED,
        PACKAGED,
        LIFECYCLE,
        FAIL_FAST,
        FAIL_FAST_TESTS,
        FAIL_FAST_BUILD,
        STATE,
    )
}
ALL = ("compile", "run", "test")
#: The results, spans and errors several rows read.
RESULT_CALLS = ((HEALTHY, ("run", "test")), (TESTS, ("test_fail",)))
SPAN_CALLS = (
    (HEALTHY, ("compile", "run", "test_select")),
    (SELECTORS, ("graph", "select_exclude")),
    (TESTS, ("test_fail",)),
    (BAD_TARGET, ("run",)),
)
LATEST_CALLS = ((HEALTHY, ("compile", "run", "test")),)
SECRET_CALLS = ((HEALTHY, ("compile", "run")), (BAD_TARGET, ALL), (UNPARSEABLE, ("compile",)))
#: Raised errors and what dbt's message names in each (the message must name it too).
MENTIONS = (
    (UNPARSEABLE, ALL, "broken_jinja"),
    (BAD_PROFILE, ALL, "no_such_profile"),
    (BAD_TARGET, ALL, "nope"),
    (COMPILE_ERROR, ("compile",), "uncompilable"),
)
