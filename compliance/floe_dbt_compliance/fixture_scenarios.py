"""The scenarios the kit runs on its fixture projects, and which steps each row reads.

Each scenario runs on one fresh copy per runtime (and one for the
reference), lazily: a row costs the steps up to the last one it reads.
:data:`ROW_STEPS` says which steps every row that reads these scenarios
needs (the kit's own tests use it to find the rows a broken runtime's
session runs for free).
"""

from __future__ import annotations

from floe_dbt_compliance.scenarios import Scenario, edit, link, step

__all__ = [
    "BAD_PROFILE",
    "BAD_TARGET",
    "COMPILE_ERROR",
    "HEALTHY",
    "INCREMENTAL",
    "ORACLE_ROWS",
    "REPEATED",
    "ROW_STEPS",
    "SCENARIOS",
    "SELECTORS",
    "SQL_ERROR",
    "TESTS",
    "UNPARSEABLE",
    "UNREADABLE",
    "WAREHOUSE_ROWS",
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
    )
}
_ALL = ("compile", "run", "test")

#: Rows decided by comparing steps with the reference: row -> (scenario, steps) pairs.
ORACLE_ROWS: dict[str, tuple[tuple[Scenario, tuple[str, ...]], ...]] = {
    "compile.manifest": ((HEALTHY, ("compile",)),),
    "compile.node-error": ((COMPILE_ERROR, ("compile", "run")),),
    "run.all": ((HEALTHY, ("run",)),),
    "run.select": ((INCREMENTAL, ("select",)),),
    "run.exclude": ((INCREMENTAL, ("exclude",)),),
    "run.select-exclude": ((SELECTORS, ("select_exclude",)),),
    "run.selector-syntax": ((SELECTORS, ("graph", "union", "intersection", "depth", "at")),),
    "run.full-refresh": ((INCREMENTAL, ("full_refresh",)),),
    "run.sql-error": ((SQL_ERROR, ("run",)),),
    "run.edited-project": ((SQL_ERROR, ("run_fixed",)),),
    "run.repeated": ((REPEATED, ("run", "run_again", "run_child", "test", "test_again")),),
    "test.all": ((HEALTHY, ("test",)),),
    "test.select": ((HEALTHY, ("test_select",)),),
    "test.fail": ((TESTS, ("test_fail",)),),
    "test.warn": ((TESTS, ("test_warn",)),),
    "errors.unparseable": ((UNPARSEABLE, _ALL),),
    "errors.execution": ((BAD_PROFILE, _ALL), (BAD_TARGET, _ALL)),
    "errors.unreadable-project": ((UNREADABLE, ("compile_loop", "run_loop", "test_loop", *_ALL)),),
    "config.hostile-input": ((HEALTHY, HOSTILE_STEPS),),
}
#: Rows whose promise shows only in the warehouse (n/a where it cannot be observed).
WAREHOUSE_ROWS = frozenset(
    {
        "run.all",
        "run.select",
        "run.exclude",
        "run.full-refresh",
        "run.edited-project",
        "config.hostile-input",
    }
)
#: The results, spans and errors the other rows read.
RESULT_CALLS = ((HEALTHY, ("run", "test")), (TESTS, ("test_fail",)))
SPAN_CALLS = (
    (HEALTHY, ("compile", "run", "test_select")),
    (SELECTORS, ("graph", "select_exclude")),
    (TESTS, ("test_fail",)),
    (BAD_TARGET, ("run",)),
)
LATEST_CALLS = ((HEALTHY, ("compile", "run", "test")),)
#: Raised errors and what dbt's message names in each (the message must name it too).
MENTIONS = (
    (UNPARSEABLE, _ALL, "broken_jinja"),
    (BAD_PROFILE, _ALL, "no_such_profile"),
    (BAD_TARGET, _ALL, "nope"),
    (COMPILE_ERROR, ("compile",), "uncompilable"),
)
SECRET_CALLS = ((HEALTHY, ("compile", "run")), (BAD_TARGET, _ALL), (UNPARSEABLE, ("compile",)))

ROW_STEPS: dict[str, tuple[tuple[Scenario, tuple[str, ...]], ...]] = {
    **ORACLE_ROWS,
    "result.paths": RESULT_CALLS,
    "result.time": RESULT_CALLS,
    "result.metadata": RESULT_CALLS,
    "metadata.no-credential": RESULT_CALLS,
    "artifacts.latest": LATEST_CALLS,
    "artifacts.none-yet": ((HEALTHY, ("compile",)),),
    "errors.message": tuple((scenario, steps) for scenario, steps, _token in MENTIONS),
    "spans.invocation": SPAN_CALLS,
    "spans.attributes": SPAN_CALLS,
    "spans.status": SPAN_CALLS,
    "secrets.errors": SECRET_CALLS,
    "secrets.spans": SECRET_CALLS,
    "secrets.logs": SECRET_CALLS,
    "secrets.files": SECRET_CALLS,
}
