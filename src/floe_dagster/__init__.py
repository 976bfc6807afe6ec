"""DagsterOrchestratorPlugin: dbt projects as Dagster assets through a DBTPlugin (REQ-090).

Nothing here imports dbt-core or a dbt Cloud client: every dbt invocation goes
through the ``dbt_runtime`` resource, the ``DBTPlugin`` the platform's
``manifest.yaml`` chose. One Dagster step runs the selected models with one
``run_models`` call and their tests, as asset checks, with one ``run_tests``.

Examples:
    >>> from floe_dagster import definitions_from_manifest  # doctest: +SKIP
    >>> defs = definitions_from_manifest("manifest.yaml", project_dir="dbt")  # doctest: +SKIP
"""

from floe_dagster.assets import DBT_RUNTIME_RESOURCE_KEY, SplitBy
from floe_dagster.dbt_graph import DbtAssetNode, read_dbt_graph
from floe_dagster.dbt_tests import DbtCheckNode, TestMapping, map_dbt_tests, read_dbt_checks
from floe_dagster.manifest_source import compile_command
from floe_dagster.plugin import (
    DagsterOrchestratorPlugin,
    DagsterPluginConfig,
    definitions_from_manifest,
)
from floe_dagster.selection import ExactSelector
from floe_dagster.step import DbtProjectLocation

__all__ = [
    "DBT_RUNTIME_RESOURCE_KEY",
    "DagsterOrchestratorPlugin",
    "DagsterPluginConfig",
    "DbtAssetNode",
    "DbtCheckNode",
    "DbtProjectLocation",
    "ExactSelector",
    "SplitBy",
    "TestMapping",
    "compile_command",
    "definitions_from_manifest",
    "map_dbt_tests",
    "read_dbt_checks",
    "read_dbt_graph",
]
