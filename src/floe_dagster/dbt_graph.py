"""The part of a dbt ``manifest.json`` that becomes Dagster assets, as plain data.

This module reads the manifest as JSON, validated first
(:mod:`floe_dagster.manifest_model`): it never imports dbt-core, so the same
code serves every runtime (a local ``target/manifest.json`` or one fetched from
dbt Cloud).

Asset key rule: a node's key is the relation it builds or reads, without the
parts the manifest leaves empty: ``[database, schema, alias]`` for models,
seeds and snapshots, ``[database, schema, identifier]`` for sources. With
DuckDB the database is the file's stem, e.g. ``["healthy", "main",
"customers"]``. Each part that is not already a Dagster name is made one
(:mod:`floe_dagster.names`). Keys are thus unique per warehouse table, and a
table that another system writes (an ingestion tool, another dbt project)
meets the source that reads it under the same key.

What becomes what:

* a model is a materialisable asset, except an ephemeral one, which builds no
  relation: it is not an asset and its models inherit its upstreams;
* seeds and snapshots are materialisable assets when the runtime has the
  lifecycle capability (``build`` names them), otherwise external assets
  these assets do not materialise, listed when a model or a test reads them;
* sources are external assets, listed when a model or a test reads them;
* a source that reads the relation a seed, snapshot or model builds (a seed
  loading a raw table, switched on by a var) *is* that node's asset: one
  asset, the models reading the source depend on it (compared as the
  warehouse compares names, :mod:`floe_dagster.relations`). Two nodes that
  both *build* one key are refused, named in sorted order;
* tests become asset checks (:mod:`floe_dagster.dbt_tests`); analyses and
  operations are not assets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from floe_core.errors import DBTConfigurationError
from floe_core.vocabulary import RUN, SEED, SNAPSHOT, resource_types
from floe_dagster.lineage import Lineage, asset_candidates
from floe_dagster.manifest_model import DbtManifest, DbtNode, as_manifest
from floe_dagster.names import asset_keys, dagster_name, dagster_owner
from floe_dagster.relations import relation_identity, relation_parts
from floe_dagster.selection import ExactSelector

__all__ = ["DbtAssetNode", "read_dbt_graph"]

# What the lifecycle capability's seed and snapshot build, beside the models dbt run builds.
_LIFECYCLE_TYPES = resource_types(SEED, SNAPSHOT)
MODELS_ONLY: frozenset[str] = resource_types(RUN)


@dataclass(frozen=True)
class DbtAssetNode:
    """One dbt node that is an asset.

    Attributes:
        unique_id: dbt's id, e.g. ``model.healthy.customers``.
        resource_type: ``model``, ``seed``, ``snapshot`` or ``source``.
        name: The node's name (for sources, the table name).
        key_path: The asset key's parts (see the module docstring).
        selector: The dbt selection expression that selects exactly this node
            (materialisable nodes only; see :mod:`floe_dagster.selection`).
        description: The manifest's description, ``None`` when empty.
        owners: Dagster owners: e-mail addresses or ``team:<name>``.
        upstream: ``unique_id`` of every asset this one reads, ephemeral models
            resolved to what they read and sources to the node that builds
            their relation.
        group: The dbt group as a Dagster group name.
        relation_name: The relation as dbt quotes it, when it has one.
        materialized: The model's materialisation (``table``, ``view`` ...).
        materialisable: Whether these assets build it (through the runtime).
        tags: The node's dbt tags.
        package_name: The dbt package that defines it.
        original_file_path: Its file, relative to its package's root.
        code_version: dbt's checksum of its code, so Dagster can tell when it changed.
        sources: The sources that read this node's relation and are this asset.
    """

    unique_id: str
    resource_type: str
    name: str
    key_path: tuple[str, ...]
    selector: str | None
    description: str | None
    owners: tuple[str, ...]
    upstream: tuple[str, ...]
    group: str | None = None
    relation_name: str | None = None
    materialized: str | None = None
    materialisable: bool = False
    tags: tuple[str, ...] = ()
    package_name: str | None = None
    original_file_path: str | None = None
    code_version: str | None = None
    sources: tuple[str, ...] = ()


def read_dbt_graph(
    manifest: DbtManifest | Mapping[str, Any],
    *,
    materialise: Collection[str] = MODELS_ONLY,
    selectors: ExactSelector | None = None,
) -> list[DbtAssetNode]:
    """List the asset nodes of a manifest, upstream ones included.

    Args:
        manifest: A parsed dbt ``manifest.json`` (validated here when it is a mapping).
        materialise: The resource types these assets build: ``{"model"}``, or
            ``{"model", "seed", "snapshot"}`` for a runtime with the lifecycle
            capability.
        selectors: Exact selectors for the manifest's nodes (built when omitted).

    Returns:
        Every model (except ephemeral ones) and every seed and snapshot that
        is materialised, plus the seeds, snapshots and sources the models or
        tests read, sorted by ``unique_id``.

    Raises:
        DBTConfigurationError: The document is not a dbt manifest (or is
            damaged: the message names the node and field), two nodes build
            one relation or asset key, or a node cannot be selected exactly.
    """
    manifest = as_manifest(manifest)
    built = set(MODELS_ONLY) | (set(materialise) & _LIFECYCLE_TYPES)
    selectors = selectors or ExactSelector(manifest)
    adapter = manifest.metadata.adapter_type
    candidates = asset_candidates(manifest)
    canonical = _merge_relations(candidates, adapter)
    lineage = Lineage(manifest, canonical)

    materialisable = sorted(
        uid
        for uid, node in candidates.items()
        if node.resource_type in built and uid == canonical[uid]
    )
    needed = set(materialisable)
    for unique_id in materialisable:
        needed.update(lineage.upstream(unique_id))
    for test in [*manifest.nodes.values(), *manifest.unit_test_nodes.values()]:
        if test.resource_type in ("test", "unit_test"):
            needed.update(lineage.read_by(test))
    lineage.refuse_cycles(needed)

    keys = asset_keys({uid: relation_parts(candidates[uid]) for uid in sorted(needed)})
    owners_by_group = _group_owners(manifest)
    aliases: dict[str, list[str]] = defaultdict(list)
    for unique_id, representative in canonical.items():
        if unique_id != representative:
            aliases[representative].append(unique_id)
    found = []
    for unique_id in sorted(needed):
        node = candidates[unique_id]
        building = node.resource_type in built
        found.append(
            _asset_node(
                node,
                owners_by_group,
                lineage.upstream(unique_id),
                key_path=tuple(keys[unique_id].path),
                selector=selectors.for_node(unique_id) if building else None,
                sources=tuple(sorted(aliases[unique_id])),
            )
        )
    return found


def _merge_relations(candidates: Mapping[str, DbtNode], adapter: str | None) -> dict[str, str]:
    """Each asset candidate's representative: the node that builds its relation, else a source.

    Raises:
        DBTConfigurationError: Two nodes build one relation (named in sorted order).
    """
    by_relation: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for unique_id in sorted(candidates):
        by_relation[relation_identity(candidates[unique_id], adapter)].append(unique_id)
    canonical: dict[str, str] = {}
    for relation, members in by_relation.items():
        builders = [uid for uid in members if candidates[uid].resource_type != "source"]
        if len(builders) > 1:
            raise DBTConfigurationError(
                f"dbt nodes {builders[0]} and {builders[1]} both build the relation "
                f"{'.'.join(relation)} (one asset key); give one of them another alias or schema"
            )
        representative = builders[0] if builders else members[0]
        for unique_id in members:
            canonical[unique_id] = representative
    return canonical


def _asset_node(
    node: DbtNode,
    owners_by_group: Mapping[str, tuple[str, ...]],
    upstream: tuple[str, ...],
    *,
    key_path: tuple[str, ...],
    selector: str | None,
    sources: tuple[str, ...],
) -> DbtAssetNode:
    is_source = node.resource_type == "source"
    group = node.group or node.config.group
    description = node.description or (node.source_description if is_source else None)
    checksum = (
        node.checksum.checksum if node.checksum and not isinstance(node.checksum, str) else None
    )
    return DbtAssetNode(
        unique_id=node.unique_id,
        resource_type=node.resource_type,
        name=node.name,
        key_path=key_path,
        selector=selector,
        description=description or None,
        owners=_owners(node, owners_by_group.get(group, ()) if group else ()),
        upstream=upstream,
        group=dagster_name(group) if group else None,
        relation_name=node.relation_name,
        materialized=node.config.materialized,
        materialisable=selector is not None,
        tags=tuple(node.tags),
        package_name=node.package_name,
        original_file_path=node.original_file_path or None,
        code_version=checksum or None,
        sources=sources,
    )


def _group_owners(manifest: DbtManifest) -> dict[str, tuple[str, ...]]:
    owners: dict[str, tuple[str, ...]] = {}
    for group in (manifest.groups or {}).values():
        email = group.owner.email
        contacts = [email] if isinstance(email, str) else list(email or [])
        if not contacts and group.owner.name:
            contacts = [group.owner.name]
        owners[group.name] = _dagster_owners(contacts[:1])
    return owners


def _owners(node: DbtNode, group_owners: Sequence[str]) -> tuple[str, ...]:
    declared: list[str] = list(group_owners)
    for meta in node.all_meta:
        value = meta.get("owner")
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        declared.extend(_dagster_owners(owner for owner in values if isinstance(owner, str)))
    return tuple(dict.fromkeys(declared))


def _dagster_owners(owners: Iterable[str]) -> tuple[str, ...]:
    # Dagster accepts an e-mail address or "team:<name>"; dbt owners are free text.
    return tuple(owner for owner in map(dagster_owner, owners) if owner)
