"""The scenarios the kit runs on its fixture projects, and which steps each row reads.

Each scenario runs on one fresh copy per runtime (and one for the
reference), lazily: a row costs the steps up to the last one it reads.
:data:`ROW_STEPS` says which steps every row that reads these scenarios
needs (the kit's own tests use it to find the rows a broken runtime's
session runs for free).
"""

from __future__ import annotations

from floe_dbt_compliance.scenarios import Scenario, edit, step

__all__ = [
    "BAD_PROFILE",
    "BAD_TARGET",
    "COMPILE_ERROR",
    "FAILING",
    "HEALTHY",
    "ORACLE_ROWS",
    "ROW_STEPS",
    "SCENARIOS",
    "SQL_ERROR",
    "UNPARSEABLE",
    "WARN",
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
    step("exclude", "run_models", exclude="fct_orders"),
    step("select", "run_models", select="fct_orders"),
    step("full_refresh", "run_models", full_refresh=True),
    step("select_exclude", "run_models", select="tag:mart stg_orders", exclude="fct_orders"),
    step("test_select", "run_tests", select="customers"),
    step("graph", "run_models", select="+customers"),
    step("union", "run_models", select="path:models/staging tag:raw"),
)
FAILING = Scenario.on_fixture(
    "failing_test", "failing_test", step("run", "run_models"), step("test", "run_tests")
)
WARN = Scenario.on_fixture(
    "warn_test",
    "warn_test",
    step("run", "run_models"),
    step("test", "run_tests"),
    step("test_warn", "run_tests", select="warn_negative_amounts"),
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
SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        HEALTHY,
        FAILING,
        WARN,
        SQL_ERROR,
        COMPILE_ERROR,
        UNPARSEABLE,
        BAD_PROFILE,
        BAD_TARGET,
    )
}
_ALL = ("compile", "run", "test")

#: Rows decided by comparing steps with the reference: row -> (scenario, steps) pairs.
ORACLE_ROWS: dict[str, tuple[tuple[Scenario, tuple[str, ...]], ...]] = {
    "compile.manifest": ((HEALTHY, ("compile",)),),
    "compile.node-error": ((COMPILE_ERROR, ("compile", "run")),),
    "run.all": ((HEALTHY, ("run",)),),
    "run.select": ((HEALTHY, ("select",)),),
    "run.exclude": ((HEALTHY, ("exclude",)),),
    "run.select-exclude": ((HEALTHY, ("select_exclude",)),),
    "run.selector-syntax": ((HEALTHY, ("graph", "union")),),
    "run.full-refresh": ((HEALTHY, ("full_refresh",)),),
    "run.sql-error": ((SQL_ERROR, ("run",)),),
    "run.edited-project": ((SQL_ERROR, ("run_fixed",)),),
    "test.all": ((HEALTHY, ("test",)),),
    "test.select": ((HEALTHY, ("test_select",)),),
    "test.fail": ((FAILING, ("run", "test")),),
    "test.warn": ((WARN, ("run", "test", "test_warn")),),
    "errors.unparseable": ((UNPARSEABLE, _ALL),),
    "errors.execution": ((BAD_PROFILE, _ALL), (BAD_TARGET, _ALL)),
    "config.hostile-input": ((HEALTHY, HOSTILE_STEPS),),
}
#: The results, spans and errors the other rows read.
RESULT_CALLS = ((HEALTHY, ("run", "test", "select")), (FAILING, ("test",)))
SPAN_CALLS = (
    (HEALTHY, ("compile", "run", "test", "select_exclude", "full_refresh")),
    (FAILING, ("test",)),
    (BAD_TARGET, ("run",)),
)
LATEST_CALLS = ((HEALTHY, ("compile", "run", "test", "select")),)
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
