"""Rows: results and artifacts, raised errors, and input that is not dbt syntax."""

from __future__ import annotations

from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import (
    ALL,
    BAD_PROFILE,
    BAD_TARGET,
    HEALTHY,
    HOSTILE_STEPS,
    LATEST_CALLS,
    MENTIONS,
    RESULT_CALLS,
    UNPARSEABLE,
    UNREADABLE,
)

ORACLE = Observes.ORACLE
ROWS = (
    # -- results and artifacts --------------------------------------------------------------
    Requirement(
        "result.paths",
        "A result's manifest_path and run_results_path are existing manifest.json and "
        "run_results.json files; catalog_path, when given, too.",
        source="DBTRunResult (manifest_path, run_results_path, catalog_path)",
        req_ids=("REQ-086",),
        reads=RESULT_CALLS,
    ),
    Requirement(
        "result.time",
        "execution_time_seconds is the invocation's wall time: above 0 and no more than the "
        "call took.",
        source="DBTRunResult.execution_time_seconds",
        req_ids=("REQ-086",),
        reads=RESULT_CALLS,
    ),
    Requirement(
        "result.metadata",
        "A result's metadata is JSON-serialisable.",
        source="DBTRunResult.metadata",
        req_ids=("REQ-086",),
        reads=RESULT_CALLS,
    ),
    Requirement(
        "artifacts.latest",
        "After each call, get_manifest() and get_run_results() answer that call's artifacts.",
        source="DBTPlugin.get_manifest, DBTPlugin.get_run_results ('the latest')",
        req_ids=("REQ-086",),
        reads=LATEST_CALLS,
    ),
    Requirement(
        "artifacts.none-yet",
        "Before anything ran on a project (or after calls that produced nothing), "
        "get_manifest() and get_run_results() raise DBTArtifactNotFoundError.",
        source="DBTPlugin.get_manifest, get_run_results (Raises)",
        req_ids=("REQ-086",),
        reads=((HEALTHY, ("compile",)),),
    ),
    # -- errors -----------------------------------------------------------------------------
    Requirement(
        "errors.unparseable",
        "A project dbt cannot parse raises DBTCompilationError from compile_project, "
        "run_models and run_tests.",
        source="DBTPlugin (Raises DBTCompilationError); REQ-087 (wrap dbtRunner exceptions)",
        req_ids=("REQ-086", "REQ-087"),
        observes=ORACLE,
        reads=((UNPARSEABLE, ALL),),
    ),
    Requirement(
        "errors.execution",
        "When dbt cannot run at all (a profile or target that does not exist), "
        "compile_project, run_models and run_tests raise DBTExecutionError.",
        source="DBTPlugin (Raises DBTExecutionError); floe_core.errors",
        req_ids=("REQ-086", "REQ-087"),
        observes=ORACLE,
        reads=((BAD_PROFILE, ALL), (BAD_TARGET, ALL)),
    ),
    Requirement(
        "errors.unreadable-project",
        "A project directory that does not resolve (a loop of links) or a project file nobody "
        "can read (a link to itself) makes compile_project, run_models and run_tests raise "
        "what dbt's failure means, never a bare OSError.",
        source="DBTPlugin (Raises DBTExecutionError); REQ-087 (wrap dbtRunner exceptions)",
        req_ids=("REQ-086", "REQ-087"),
        observes=ORACLE,
        reads=((UNREADABLE, ("compile_loop", "run_loop", "test_loop", *ALL)),),
    ),
    Requirement(
        "errors.message",
        "A raised error names what dbt named (the file, profile or target at fault), so a "
        "person can act on it.",
        source=f"{CONTRACT_PAGE} (a message a person can act on)",
        req_ids=("REQ-086",),
        reads=tuple((scenario, steps) for scenario, steps, _named in MENTIONS),
    ),
    Requirement(
        "config.hostile-input",
        "A select, exclude or target that is not dbt syntax raises DBTConfigurationError "
        "before anything runs.",
        source="floe_core.selectors (a selector is a dbt selection expression, never an "
        "argument list)",
        req_ids=("REQ-086",),
        observes=ORACLE,
        reads=((HEALTHY, HOSTILE_STEPS),),
        warehouse=True,
    ),
)
