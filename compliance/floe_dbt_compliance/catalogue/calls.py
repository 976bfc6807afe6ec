"""Rows: compile, run and test, each held to what plain dbt-core does on the same steps."""

from __future__ import annotations

from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE, RUN, TEST
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import (
    COMPILE_ERROR,
    HEALTHY,
    INCREMENTAL,
    PACKAGED,
    REPEATED,
    SELECTORS,
    SQL_ERROR,
    TESTS,
)

ORACLE = Observes.ORACLE
ROWS = (
    # -- compile ----------------------------------------------------------------------------
    Requirement(
        "compile.manifest",
        "compile_project returns the path of an existing manifest.json with the nodes dbt-core "
        "defines and compiles for the project.",
        source="DBTPlugin.compile_project",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((HEALTHY, ("compile",)),),
    ),
    Requirement(
        "compile.node-error",
        "A model that parses but does not compile makes compile_project raise "
        "DBTCompilationError, and run_models report it as a failed node (its downstream "
        "skipped), as dbt-core does.",
        source=f"DBTPlugin.compile_project (Raises); {CONTRACT_PAGE}",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((COMPILE_ERROR, ("compile", "run")),),
    ),
    # -- run --------------------------------------------------------------------------------
    Requirement(
        "run.all",
        "run_models() runs every model: dbt run's nodes, statuses, counts and tables.",
        source=RUN,
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((HEALTHY, ("run",)),),
        warehouse=True,
    ),
    Requirement(
        "run.select",
        "run_models(select=...) runs only the selected models, an incremental model incrementally.",
        source=f"{RUN} (select)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((INCREMENTAL, ("select",)),),
        warehouse=True,
    ),
    Requirement(
        "run.exclude",
        "run_models(exclude=...) leaves the excluded models alone.",
        source=f"{RUN} (exclude)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((INCREMENTAL, ("exclude",)),),
        warehouse=True,
    ),
    Requirement(
        "run.select-exclude",
        "select and exclude given together select what dbt selects.",
        source=f"{RUN}; {CONTRACT_PAGE} (selectors mean what they mean to dbt)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((SELECTORS, ("select_exclude",)),),
    ),
    Requirement(
        "run.selector-syntax",
        "Graph operators (+, n+, @), tags, paths, unions and intersections in a selector "
        "select what dbt selects.",
        source=f"{CONTRACT_PAGE} (a selector is a dbt selection expression)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((SELECTORS, ("graph", "union", "intersection", "depth", "at")),),
    ),
    Requirement(
        "run.full-refresh",
        "run_models(full_refresh=True) rebuilds incremental models from scratch.",
        source=f"{RUN} (full_refresh)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((INCREMENTAL, ("full_refresh",)),),
        warehouse=True,
    ),
    Requirement(
        "run.sql-error",
        "A model whose SQL fails is a failed result (success False, counted in failures), its "
        "downstream skipped, the rest built; nothing raised.",
        source=f"{RUN} (Returns); DBTRunResult",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((SQL_ERROR, ("run",)),),
    ),
    Requirement(
        "run.edited-project",
        "A run after a project file changed runs the changed SQL, never a stale parse.",
        source=f"{CONTRACT_PAGE} (a changed project file must never run stale SQL)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((SQL_ERROR, ("run_fixed",)),),
        warehouse=True,
    ),
    Requirement(
        "run.repeated",
        "Calling run_models and run_tests again on an unchanged project does what a fresh "
        "dbt invocation does: nothing an earlier call compiled (an ephemeral model's CTEs) "
        "carries into the next.",
        source=f"{CONTRACT_PAGE} (each call runs the project as dbt would)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((REPEATED, ("run", "run_again", "run_child", "test", "test_again")),),
    ),
    Requirement(
        "run.packages",
        "A project with a package (a local one, installed as dbt deps installs it) runs as "
        "dbt runs it: run_models builds the package's models with the project's, run_tests "
        "runs the tests of both; a runtime that runs dbt elsewhere installs the package there.",
        source=f"{CONTRACT_PAGE} (each call runs the project as dbt would)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((PACKAGED, ("run", "test")),),
        warehouse=True,
    ),
    # -- test -------------------------------------------------------------------------------
    Requirement(
        "test.all",
        "run_tests() runs every data and unit test with dbt test's statuses and counts.",
        source=TEST,
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((HEALTHY, ("test",)),),
    ),
    Requirement(
        "test.select",
        "run_tests(select=...) runs the tests dbt selects.",
        source=f"{TEST} (select)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((HEALTHY, ("test_select",)),),
    ),
    Requirement(
        "test.fail",
        "A failing data test is a failed result with dbt's counts, not an exception.",
        source=f"{TEST} (Returns); DBTRunResult",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((TESTS, ("test_fail",)),),
    ),
    Requirement(
        "test.warn",
        "A test of warn severity runs and is counted, and is not a failure: success stays True.",
        source="floe_core.artifacts (warnings are not failures)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((TESTS, ("test_warn",)),),
    ),
)
