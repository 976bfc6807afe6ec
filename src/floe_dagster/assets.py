"""Dagster asset definitions for dbt nodes, materialised through a ``DBTPlugin``.

Each model asset asks the ``dbt_runtime`` resource for
``run_models(select=<model>)`` and nothing else: which runtime that is (dbt-core
in process, dbt Cloud ...) is the platform's choice, made in ``manifest.yaml``.
"""

# No `from __future__ import annotations`: Dagster inspects the compute
# function's `context` annotation at runtime and refuses a string.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceDefinition,
    asset,
    with_resources,
)

from floe_core.artifacts import FAILURE_STATUSES, read_json_artifact
from floe_core.errors import DBTArtifactNotFoundError
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dagster.dbt_graph import DbtAssetNode

__all__ = ["DBT_RUNTIME_RESOURCE_KEY", "DbtProjectLocation", "build_dbt_assets"]

DBT_RUNTIME_RESOURCE_KEY = "dbt_runtime"
DbtAsset = AssetsDefinition | AssetSpec


@dataclass(frozen=True)
class DbtProjectLocation:
    """Where the assets' dbt project is, as the runtime is told on every call.

    ``pool`` is the Dagster concurrency pool of every model asset, if any.
    """

    project_dir: Path
    profiles_dir: Path
    target: str
    pool: str | None = None


def build_dbt_assets(
    nodes: Sequence[DbtAssetNode],
    runtime_resource: ResourceDefinition,
    project: DbtProjectLocation,
    adapter_type: str | None,
) -> list[DbtAsset]:
    """Turn dbt asset nodes into Dagster definitions.

    Args:
        nodes: The nodes :func:`floe_dagster.dbt_graph.read_dbt_graph` found.
        runtime_resource: The ``dbt_runtime`` resource bound to every model
            asset; one object shared by all, so Dagster sees no conflict.
        project: The project the runtime runs.
        adapter_type: The manifest's adapter (``duckdb`` ...), shown as a kind.

    Returns:
        One ``AssetsDefinition`` per model and one ``AssetSpec`` per seed,
        snapshot or source the models read.
    """
    keys = {node.unique_id: AssetKey(list(node.key_path)) for node in nodes}
    kinds = {"dbt"} | ({adapter_type} if adapter_type else set())
    models: list[AssetsDefinition] = []
    upstream_specs: list[DbtAsset] = []
    for node in nodes:
        deps = [keys[unique_id] for unique_id in node.upstream]
        if node.materialisable:
            models.append(_model_asset(node, keys[node.unique_id], deps, kinds, project))
        else:
            upstream_specs.append(
                AssetSpec(
                    keys[node.unique_id],
                    description=node.description,
                    owners=list(node.owners),
                    group_name=node.group,
                    kinds=kinds,
                    metadata=_definition_metadata(node),
                )
            )
    bound = with_resources(models, {DBT_RUNTIME_RESOURCE_KEY: runtime_resource})
    return [*bound, *upstream_specs]


def _definition_metadata(node: DbtAssetNode) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "dbt/unique_id": node.unique_id,
        "dbt/resource_type": node.resource_type,
    }
    if node.relation_name:
        metadata["dbt/relation_name"] = node.relation_name
    if node.materialized:
        metadata["dbt/materialized"] = node.materialized
    return metadata


def _model_asset(
    node: DbtAssetNode,
    key: AssetKey,
    deps: list[AssetKey],
    kinds: set[str],
    project: DbtProjectLocation,
) -> AssetsDefinition:
    selector = node.selector or node.name

    @asset(
        key=key,
        deps=deps,
        description=node.description,
        owners=list(node.owners),
        group_name=node.group,
        kinds=kinds,
        metadata=_definition_metadata(node),
        required_resource_keys={DBT_RUNTIME_RESOURCE_KEY},
        pool=project.pool,
    )
    def _materialise(context: AssetExecutionContext) -> MaterializeResult[None]:
        # create_assets_from_artifacts checked that the bound resource is a DBTPlugin.
        runtime: DBTPlugin = getattr(context.resources, DBT_RUNTIME_RESOURCE_KEY)
        runtime_type = str(runtime.get_runtime_metadata().get("type", type(runtime).__name__))
        context.log.info("dbt run --select %s through the %s runtime", selector, runtime_type)
        result = runtime.run_models(
            project.project_dir, project.profiles_dir, project.target, select=selector
        )
        metadata = _result_metadata(result, runtime_type)
        if not result.success:
            raise Failure(description=_failure_message(node, result), metadata=metadata)
        if result.models_run == 0:
            raise Failure(
                description=(
                    f"dbt ran no model for selector {selector!r}: the manifest these assets were "
                    "built from no longer matches the project; reload the definitions"
                ),
                metadata=metadata,
            )
        return MaterializeResult(metadata=metadata)

    return _materialise


def _result_metadata(result: DBTRunResult, runtime_type: str) -> dict[str, Any]:
    return {
        "dbt/runtime_type": runtime_type,
        "dbt/success": result.success,
        "dbt/models_run": result.models_run,
        "dbt/tests_run": result.tests_run,
        "dbt/failures": result.failures,
        "dbt/execution_time_seconds": result.execution_time_seconds,
        "dbt/run_results_path": MetadataValue.path(str(result.run_results_path)),
        "dbt/runtime_metadata": MetadataValue.json(dict(result.metadata)),
    }


def _failure_message(node: DbtAssetNode, result: DBTRunResult) -> str:
    """Say why dbt failed the model, in dbt's own words when ``run_results.json`` has them."""
    headline = f"dbt model {node.unique_id} failed ({result.failures} failure(s))"
    try:
        run_results = read_json_artifact(result.run_results_path, what="the runtime wrote none")
    except DBTArtifactNotFoundError as exc:
        return f"{headline}; dbt's message is unavailable: {exc}"
    messages = [
        f"{entry.get('unique_id')}: {entry.get('message') or entry.get('status')}"
        for entry in _results(run_results)
        if str(entry.get("status", "")).lower() in FAILURE_STATUSES
    ]
    return f"{headline}: " + "; ".join(messages) if messages else headline


def _results(run_results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    results = run_results.get("results")
    return (
        [entry for entry in results if isinstance(entry, Mapping)]
        if isinstance(results, list)
        else []
    )
