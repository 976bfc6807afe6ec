"""The part of a dbt ``manifest.json`` that becomes Dagster assets, as plain data.

This module reads the manifest as JSON: it never imports dbt-core, so the same
code serves every runtime (a local ``target/manifest.json`` or one fetched from
dbt Cloud).

Asset key rule: a node's key is the relation it builds or reads, without the
parts the manifest leaves empty: ``[database, schema, alias]`` for models,
seeds and snapshots, ``[database, schema, identifier]`` for sources. With
DuckDB the database is the file's stem, e.g. ``["healthy", "main",
"customers"]``. Keys are thus unique per warehouse table, and a table that
another system writes (an ingestion tool, another dbt project) meets the
source that reads it under the same key.

What becomes what:

* a model is a materialisable asset, except an ephemeral one, which builds no
  relation: it is not an asset and its models inherit its upstreams;
* seeds and snapshots are materialisable assets when the runtime has the
  lifecycle capability (``build`` names them), otherwise upstream assets
  these assets do not materialise, listed only when a model reads them;
* sources are upstream assets, listed when a model reads them;
* tests become asset checks (:mod:`floe_dagster.dbt_tests`); unit tests,
  analyses and operations are not assets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from floe_core.errors import DBTConfigurationError
from floe_dagster.selection import ExactSelector

__all__ = ["DbtAssetNode", "read_dbt_graph"]

_LIFECYCLE_TYPES = frozenset({"seed", "snapshot"})
MODELS_ONLY: frozenset[str] = frozenset({"model"})


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
            resolved to what they read.
        group: The dbt group, when it is a valid Dagster group name.
        relation_name: The relation as dbt quotes it, when it has one.
        materialized: The model's materialisation (``table``, ``view`` ...).
        materialisable: Whether these assets build it (through the runtime).
        tags: The node's dbt tags.
        package_name: The dbt package that defines it.
        original_file_path: Its file, relative to its package's root.
        code_version: dbt's checksum of its code, so Dagster can tell when it changed.
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


def read_dbt_graph(
    manifest: Mapping[str, Any],
    *,
    materialise: Collection[str] = MODELS_ONLY,
    selectors: ExactSelector | None = None,
) -> list[DbtAssetNode]:
    """List the asset nodes of a manifest, upstream ones included.

    Args:
        manifest: A parsed dbt ``manifest.json``.
        materialise: The resource types these assets build: ``{"model"}``, or
            ``{"model", "seed", "snapshot"}`` for a runtime with the lifecycle
            capability.
        selectors: Exact selectors for the manifest's nodes (built when omitted).

    Returns:
        Every model (except ephemeral ones) and every seed and snapshot that
        is materialised, plus the seeds, snapshots and sources the models
        read, sorted by ``unique_id``.

    Raises:
        DBTConfigurationError: The document is not a dbt manifest, two nodes
            would share an asset key, or a node cannot be selected exactly.
    """
    nodes = _section(manifest, "nodes")
    sources: dict[str, dict[str, Any]] = manifest.get("sources") or {}
    owners_by_group = _group_owners(manifest)
    resolver = _UpstreamResolver(nodes, sources)
    built = {"model"} | (set(materialise) & _LIFECYCLE_TYPES)
    selectors = selectors or ExactSelector(manifest)

    found: dict[str, DbtAssetNode] = {}
    for unique_id, node in nodes.items():
        resource_type = node.get("resource_type")
        if resource_type not in built or _is_ephemeral(node):
            continue
        found[unique_id] = _asset_node(
            node,
            owners_by_group,
            resolver.upstream_of(unique_id),
            selector=selectors.for_node(unique_id),
        )
    read_only = {dep for asset in found.values() for dep in asset.upstream} - found.keys()
    for unique_id in read_only:
        upstream_node = nodes.get(unique_id) or sources[unique_id]
        found[unique_id] = _asset_node(upstream_node, owners_by_group, (), selector=None)
    _check_unique_keys(found.values())
    return [found[unique_id] for unique_id in sorted(found)]


def _section(manifest: Mapping[str, Any], name: str) -> dict[str, dict[str, Any]]:
    section = manifest.get(name) if isinstance(manifest, Mapping) else None
    if not isinstance(section, dict):
        raise DBTConfigurationError(
            f"artifacts['manifest'] has no '{name}' mapping; pass the parsed target/manifest.json "
            "of the dbt project (DBTPlugin.get_manifest or compile_project gives it)"
        )
    return section


class _UpstreamResolver:
    """Finds what a node reads, seeing through ephemeral models (memoised)."""

    def __init__(
        self, nodes: dict[str, dict[str, Any]], sources: dict[str, dict[str, Any]]
    ) -> None:
        self._nodes = nodes
        self._sources = sources
        self._memo: dict[str, tuple[str, ...]] = {}

    def upstream_of(self, unique_id: str) -> tuple[str, ...]:
        if unique_id not in self._memo:
            upstream: set[str] = set()
            for dep in self._nodes[unique_id].get("depends_on", {}).get("nodes", []):
                if dep in self._sources:
                    upstream.add(dep)
                    continue
                node = self._nodes.get(dep)
                if node is None:
                    continue
                resource_type = node.get("resource_type")
                if resource_type == "model" and _is_ephemeral(node):
                    upstream.update(self.upstream_of(dep))
                elif resource_type == "model" or resource_type in _LIFECYCLE_TYPES:
                    upstream.add(dep)
            self._memo[unique_id] = tuple(sorted(upstream))
        return self._memo[unique_id]


def _is_ephemeral(node: Mapping[str, Any]) -> bool:
    return bool(node.get("config", {}).get("materialized") == "ephemeral")


def _asset_node(
    node: Mapping[str, Any],
    owners_by_group: Mapping[str, tuple[str, ...]],
    upstream: tuple[str, ...],
    *,
    selector: str | None,
) -> DbtAssetNode:
    resource_type = str(node["resource_type"])
    is_source = resource_type == "source"
    name = str(node["name"])
    table = node.get("identifier") if is_source else node.get("alias")
    key_path = tuple(
        str(part) for part in (node.get("database"), node.get("schema"), table or name) if part
    )
    config = node.get("config") or {}
    group = node.get("group") or config.get("group")
    description = node.get("description") or (node.get("source_description") if is_source else "")
    checksum = (node.get("checksum") or {}).get("checksum")
    return DbtAssetNode(
        unique_id=str(node["unique_id"]),
        resource_type=resource_type,
        name=name,
        key_path=key_path,
        selector=selector,
        description=description or None,
        owners=_owners(node, owners_by_group.get(group, ()) if group else ()),
        upstream=upstream,
        group=group if group and str(group).isidentifier() else None,
        relation_name=node.get("relation_name"),
        materialized=config.get("materialized"),
        materialisable=selector is not None,
        tags=tuple(str(tag) for tag in node.get("tags") or ()),
        package_name=node.get("package_name"),
        original_file_path=node.get("original_file_path"),
        code_version=str(checksum) if checksum else None,
    )


def _group_owners(manifest: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    owners: dict[str, tuple[str, ...]] = {}
    for group in (manifest.get("groups") or {}).values():
        owner = group.get("owner") or {}
        contact = owner.get("email") or owner.get("name")
        owners[str(group["name"])] = (_as_dagster_owner(str(contact)),) if contact else ()
    return owners


def _owners(node: Mapping[str, Any], group_owners: Sequence[str]) -> tuple[str, ...]:
    declared: list[str] = list(group_owners)
    for meta in (node.get("meta") or {}, node.get("config", {}).get("meta") or {}):
        value = meta.get("owner")
        for owner in [value] if isinstance(value, str) else value or []:
            declared.append(_as_dagster_owner(str(owner)))
    return tuple(dict.fromkeys(declared))


def _as_dagster_owner(owner: str) -> str:
    # Dagster accepts an e-mail address or "team:<name>"; dbt owners are free text.
    owner = owner.strip()
    return owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"


def _check_unique_keys(nodes: Iterable[DbtAssetNode]) -> None:
    seen: dict[tuple[str, ...], str] = {}
    for node in nodes:
        other = seen.setdefault(node.key_path, node.unique_id)
        if other != node.unique_id:
            raise DBTConfigurationError(
                f"dbt nodes {other} and {node.unique_id} both map to asset key "
                f"{list(node.key_path)} (the relation they build or read); give one of them "
                "another alias or identifier"
            )
