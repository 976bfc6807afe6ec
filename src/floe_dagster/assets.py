"""Dagster definitions for a dbt project: subsettable multi-assets run through a ``DBTPlugin``.

One multi-asset per dbt project (or per part of it, when the platform asks
for a split, e.g. by dbt group): one asset per model (and per seed and
snapshot when the runtime has the lifecycle capability), one asset check per
dbt test, and one Dagster step that asks the ``dbt_runtime`` resource for
``run_models(select=<the selected models>)`` and ``run_tests(select=<the
selected tests>)`` (see :mod:`floe_dagster.step`). Checks whose asset is
external (a source nothing built reads) run in one checks-only step. Which
runtime that is (dbt-core in process, dbt Cloud ...) is the platform's
choice, made in ``manifest.yaml``. Every Dagster name is made by
:mod:`floe_dagster.names`.
"""

# No `from __future__ import annotations`: Dagster inspects the compute
# function's `context` annotation at runtime and refuses a string.
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ResourceDefinition,
    multi_asset,
    multi_asset_check,
    with_resources,
)

from floe_dagster.dbt_graph import DbtAssetNode
from floe_dagster.dbt_tests import DbtCheckNode
from floe_dagster.names import dagster_name, stable_hash, unique_check_names
from floe_dagster.step import DbtProjectLocation, DbtStep, StepEvent, execute_step

__all__ = ["DBT_RUNTIME_RESOURCE_KEY", "DbtAsset", "SplitBy", "build_dbt_assets"]

DBT_RUNTIME_RESOURCE_KEY = "dbt_runtime"
DbtAsset = AssetsDefinition | AssetSpec
# Names the multi-asset (step) a node belongs to; None keeps it in the project's main one.
SplitBy = Callable[[DbtAssetNode], str | None]


def build_dbt_assets(
    nodes: Sequence[DbtAssetNode],
    checks: Sequence[DbtCheckNode],
    runtime_resource: ResourceDefinition,
    project: DbtProjectLocation,
    *,
    project_name: str,
    adapter_type: str | None,
    everything: Mapping[str, frozenset[str]],
    split_by: SplitBy | None = None,
) -> list[DbtAsset]:
    """Turn dbt asset nodes and checks into Dagster definitions.

    Args:
        nodes: The nodes :func:`floe_dagster.dbt_graph.read_dbt_graph` found.
        checks: The checks :func:`floe_dagster.dbt_tests.map_dbt_tests` found.
        runtime_resource: The ``dbt_runtime`` resource bound to every multi-asset;
            one object shared by all, so Dagster sees no conflict.
        project: The project the runtime runs.
        project_name: The dbt project's name (names the steps).
        adapter_type: The manifest's adapter (``duckdb`` ...), shown as a kind.
        everything: Per kind, every node a selector-less command runs.
        split_by: Which step each materialisable node goes to; one step for
            the project when omitted.

    Returns:
        One subsettable multi-asset per step, a checks-only step when a check
        is on an external asset, and one ``AssetSpec`` per source, seed or
        snapshot that is read but not built.
    """
    keys = {node.unique_id: AssetKey(list(node.key_path)) for node in nodes}
    graph = {node.unique_id: node for node in nodes}
    kinds = {"dbt"} | ({adapter_type} if adapter_type else set())
    parts: dict[str, list[DbtAssetNode]] = {}
    external: list[DbtAsset] = []
    for node in nodes:
        if node.materialisable:
            part = split_by(node) if split_by else None
            parts.setdefault(_step_name(project_name, part), []).append(node)
        else:
            external.append(_spec(node, keys, kinds))
    step_of_node = {node.unique_id: name for name, members in parts.items() for node in members}
    checks_step = _free_name(f"dbt_{dagster_name(project_name)}_external_checks", parts)
    step_of = {
        check.unique_id: step_of_node.get(check.attached_to, checks_step) for check in checks
    }
    names = unique_check_names(
        [(check.unique_id, check.check_name, keys[check.attached_to]) for check in checks],
        step_of=step_of,
        taken={key.to_python_identifier() for key in keys.values()},
    )
    by_step: dict[str, dict[str, DbtCheckNode]] = {}
    for check in checks:
        named = replace(check, check_name=names[check.unique_id])
        by_step.setdefault(step_of[check.unique_id], {})[check.unique_id] = named
    steps: list[AssetsDefinition] = []
    for name in sorted(parts):
        step = DbtStep(
            name=name,
            project=project,
            nodes={node.unique_id: node for node in parts[name]},
            graph=graph,
            checks=by_step.get(name, {}),
            keys=keys,
            everything=everything,
        )
        steps.append(_multi_asset(step, [_spec(n, keys, kinds) for n in parts[name]], project))
    if checks_step in by_step:
        step = DbtStep(
            name=checks_step,
            project=project,
            nodes={},
            graph=graph,
            checks=by_step[checks_step],
            keys=keys,
            everything=everything,
        )
        steps.append(_checks_only(step, project))
    bound = with_resources(steps, {DBT_RUNTIME_RESOURCE_KEY: runtime_resource})
    return [*bound, *external]


def _step_name(project_name: str, part: str | None) -> str:
    return f"dbt_{dagster_name(project_name)}" + (f"_{dagster_name(part)}" if part else "")


def _free_name(name: str, taken: Mapping[str, object]) -> str:
    # A split part may be called anything, "external_checks" too.
    return name if name not in taken else f"{name}_{stable_hash(name + '/' + ','.join(taken))}"


def _spec(node: DbtAssetNode, keys: Mapping[str, AssetKey], kinds: set[str]) -> AssetSpec:
    return AssetSpec(
        keys[node.unique_id],
        deps=[keys[unique_id] for unique_id in node.upstream],
        description=node.description,
        owners=list(node.owners),
        group_name=node.group,
        kinds=kinds,
        metadata=_definition_metadata(node),
        code_version=node.code_version if node.materialisable else None,
    )


def _definition_metadata(node: DbtAssetNode) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "dbt/unique_id": node.unique_id,
        "dbt/resource_type": node.resource_type,
    }
    if node.relation_name:
        metadata["dbt/relation_name"] = node.relation_name
    if node.materialized:
        metadata["dbt/materialized"] = node.materialized
    if node.selector:
        metadata["dbt/selector"] = node.selector
    if node.sources:
        metadata["dbt/sources"] = list(node.sources)
    return metadata


def _check_spec(check: DbtCheckNode, keys: Mapping[str, AssetKey]) -> AssetCheckSpec:
    metadata = {
        "dbt/unique_id": check.unique_id,
        "dbt/resource_type": check.resource_type,
        "dbt/severity": check.severity,
        "dbt/selector": check.selector,
        "dbt/mapping": check.mapping,
    }
    if check.tested:
        metadata["dbt/tested_node"] = check.tested
    return AssetCheckSpec(
        check.check_name,
        asset=keys[check.attached_to],
        description=check.description,
        additional_deps=[keys[parent] for parent in check.parents if parent != check.attached_to],
        blocking=check.blocking,
        metadata=metadata,
    )


def _multi_asset(
    step: DbtStep, specs: list[AssetSpec], project: DbtProjectLocation
) -> AssetsDefinition:
    @multi_asset(
        name=step.name,
        specs=specs,
        check_specs=[_check_spec(check, step.keys) for check in step.checks.values()],
        can_subset=True,
        required_resource_keys={DBT_RUNTIME_RESOURCE_KEY},
        pool=project.pool,
    )
    def _dbt_step(context: AssetExecutionContext) -> Iterator[StepEvent]:
        yield from execute_step(step, context, context.selected_asset_keys)

    return _dbt_step


def _checks_only(step: DbtStep, project: DbtProjectLocation) -> AssetChecksDefinition:
    @multi_asset_check(
        name=step.name,
        specs=[_check_spec(check, step.keys) for check in step.checks.values()],
        can_subset=True,
        required_resource_keys={DBT_RUNTIME_RESOURCE_KEY},
        pool=project.pool,
    )
    def _dbt_checks(context: AssetCheckExecutionContext) -> Iterator[StepEvent]:
        yield from execute_step(step, context, frozenset())

    return _dbt_checks
