"""DagsterOrchestratorPlugin: dbt models as Dagster assets through a DBTPlugin (REQ-090).

Nothing here imports dbt-core or a dbt Cloud client: every dbt invocation goes
through the ``dbt_runtime`` resource, the ``DBTPlugin`` the platform's
``manifest.yaml`` chose.

Examples:
    >>> from floe_dagster import definitions_from_manifest  # doctest: +SKIP
    >>> defs = definitions_from_manifest("manifest.yaml", project_dir="dbt")  # doctest: +SKIP
"""

from floe_dagster.assets import DBT_RUNTIME_RESOURCE_KEY, DbtProjectLocation
from floe_dagster.dbt_graph import DbtAssetNode, read_dbt_graph
from floe_dagster.plugin import (
    DagsterOrchestratorPlugin,
    DagsterPluginConfig,
    definitions_from_manifest,
)

__all__ = [
    "DBT_RUNTIME_RESOURCE_KEY",
    "DagsterOrchestratorPlugin",
    "DagsterPluginConfig",
    "DbtAssetNode",
    "DbtProjectLocation",
    "definitions_from_manifest",
    "read_dbt_graph",
]
