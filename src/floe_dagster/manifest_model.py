"""The part of a dbt ``manifest.json`` the Dagster plugin reads, validated before anything uses it.

A manifest is data from outside (a file a deploy step wrote, an artifact
fetched from dbt Cloud), and everything downstream of this module trusts its
shape. So the fields the plugin reads are declared once, here, as one
pydantic model: lenient about every field it does not read (a manifest holds
far more, and each dbt version adds some), strict about those it does (a
``name`` must be a string, ``depends_on`` an object, ``nodes`` a mapping of
objects). What does not fit is refused with a
:class:`~floe_core.errors.DBTConfigurationError` that names the node and the
field, never a ``KeyError`` or ``TypeError`` from deep inside.

Beyond the shape, the graph itself is checked: a node filed under another
node's id, one id in two sections, and dependency cycles (a model depending
on itself included) are refused, the cycle spelled out. Every walk is
iterative: a 5,000-long chain of ephemeral models is no deeper than one.

Dependencies on ids the manifest does not hold as a node or a source (dbt
1.11's functions, say) are not lineage and are left out; so is every
section the plugin does not read (``child_map``, ``parent_map``, ``macros`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from floe_core.errors import DBTConfigurationError

__all__ = ["DbtManifest", "DbtNode", "as_manifest", "find_cycle"]

_SHOWN_PROBLEMS = 5
_SHOWN_TEXT = 120


class _Read(BaseModel):
    """Strict about declared fields, blind to the rest."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, populate_by_name=True)


class DependsOn(_Read):
    """``depends_on``: the nodes a node reads (``macros`` are not read)."""

    nodes: list[StrictStr] = Field(default_factory=list)


class Checksum(_Read):
    """``checksum`` of models, seeds and snapshots."""

    checksum: StrictStr | None = None


class NodeConfig(_Read):
    """The parts of a node's ``config`` the plugin reads."""

    materialized: StrictStr | None = None
    meta: dict[str, Any] | None = None
    group: StrictStr | None = None
    severity: StrictStr | None = None


class DbtNode(_Read):
    """A node, source or unit test: every field the plugin reads, and only those.

    ``meta`` is free-form in dbt (any YAML), so it is kept as it is and read
    defensively where it is used.
    """

    unique_id: StrictStr
    resource_type: StrictStr
    name: StrictStr
    package_name: StrictStr
    fqn: list[StrictStr] = Field(min_length=1)
    original_file_path: StrictStr = ""
    database: StrictStr | None = None
    schema_: StrictStr | None = Field(None, alias="schema")
    alias: StrictStr | None = None
    identifier: StrictStr | None = None
    relation_name: StrictStr | None = None
    description: StrictStr | None = None
    source_description: StrictStr | None = None
    # Models, seeds and snapshots write an object; unit tests a bare string.
    checksum: Checksum | StrictStr | None = None
    config: NodeConfig = Field(default_factory=NodeConfig)
    meta: dict[str, Any] | None = None
    tags: list[StrictStr] = Field(default_factory=list)
    depends_on: DependsOn = Field(default_factory=DependsOn)
    attached_node: StrictStr | None = None
    group: StrictStr | None = None
    version: StrictStr | StrictInt | StrictFloat | None = None

    @property
    def ephemeral(self) -> bool:
        """Whether this is an ephemeral model (it builds no relation)."""
        return self.resource_type == "model" and self.config.materialized == "ephemeral"

    @property
    def all_meta(self) -> tuple[Mapping[str, Any], ...]:
        """``config.meta`` then ``meta`` (dbt writes either, depending on the version)."""
        return tuple(meta for meta in (self.config.meta, self.meta) if meta)


class GroupOwner(_Read):
    """A dbt group's owner."""

    email: StrictStr | list[StrictStr] | None = None
    name: StrictStr | None = None


class Group(_Read):
    """A dbt group (``groups`` section)."""

    name: StrictStr
    owner: GroupOwner = Field(default_factory=GroupOwner)


class Metadata(_Read):
    """``metadata``: the project's name and the adapter."""

    project_name: StrictStr | None = None
    adapter_type: StrictStr | None = None


class DbtManifest(_Read):
    """The fields of ``manifest.json`` the Dagster plugin reads.

    Build it with :func:`as_manifest`, which also checks the graph.
    """

    metadata: Metadata = Field(default_factory=Metadata)
    nodes: dict[StrictStr, DbtNode]
    # Optional sections: older manifests lack unit_tests; null means absent.
    sources: dict[StrictStr, DbtNode] | None = None
    groups: dict[StrictStr, Group] | None = None
    unit_tests: dict[StrictStr, DbtNode] | None = None

    @property
    def source_nodes(self) -> Mapping[str, DbtNode]:
        """The sources, by ``unique_id``."""
        return self.sources or {}

    @property
    def unit_test_nodes(self) -> Mapping[str, DbtNode]:
        """The unit tests (dbt 1.8+), by ``unique_id``."""
        return self.unit_tests or {}

    def node(self, unique_id: str) -> DbtNode | None:
        """The node or source of that id, if the manifest has one."""
        return self.nodes.get(unique_id) or self.source_nodes.get(unique_id)

    def parents(self, node: DbtNode) -> list[str]:
        """What ``node`` reads that is a node or source of this manifest, in dbt's order."""
        return [dep for dep in dict.fromkeys(node.depends_on.nodes) if self.node(dep)]


_SECTIONS = frozenset({"nodes", "sources", "unit_tests", "groups"})
# pydantic names each member of a union in an error's location; the field is what matters.
_UNION_TAG = re.compile(r"str|int|float|list\[str\]|Checksum|dict\[str,any\]")


def as_manifest(document: DbtManifest | Mapping[str, Any]) -> DbtManifest:
    """Validate a parsed ``manifest.json`` (or pass a validated one through).

    Args:
        document: The parsed manifest, or a :class:`DbtManifest` already built.

    Returns:
        The validated manifest.

    Raises:
        DBTConfigurationError: The document is not a dbt manifest, a field the
            plugin reads has the wrong shape (the message names the node and
            the field), a node is filed under another id or in two sections,
            or the dependencies hold a cycle (the message spells it out).
    """
    if isinstance(document, DbtManifest):
        return document
    nodes = document.get("nodes") if isinstance(document, Mapping) else None
    if not isinstance(nodes, Mapping):
        raise DBTConfigurationError(
            "artifacts['manifest'] has no 'nodes' mapping; pass the parsed target/manifest.json "
            "of the dbt project (DBTPlugin.get_manifest or compile_project gives it)"
        )
    try:
        manifest = DbtManifest.model_validate(dict(document))
    except PydanticValidationError as exc:
        raise DBTConfigurationError(_describe(exc)) from None
    _check_ids(manifest)
    _check_acyclic(manifest)
    return manifest


def _describe(exc: PydanticValidationError) -> str:
    # One line per field: a union's members each report, and say the same thing.
    problems: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        got = "nothing" if error["type"] == "missing" else type(error.get("input")).__name__
        said = problems.setdefault(_location(error["loc"]), [])
        message = f"{error['msg']} (got {got})"
        if message not in said:
            said.append(message)
    shown = [f"{where}: {' or '.join(said)}" for where, said in problems.items()]
    more = len(shown) - _SHOWN_PROBLEMS
    return (
        "the dbt manifest.json is damaged or not one this plugin can read: "
        + "; ".join(shown[:_SHOWN_PROBLEMS])
        + (f"; and {more} more" if more > 0 else "")
        + ". Prepare it again with the dbt version of the project (floe compile or dbt parse)"
    )


def _location(loc: Iterable[int | str]) -> str:
    parts = [part for part in loc if not (isinstance(part, str) and _UNION_TAG.fullmatch(part))]
    if not parts:
        return "(document)"
    text = str(parts[0])
    rest = parts[1:]
    if text in _SECTIONS and rest:
        # The key right after a section is a node id: shown quoted, in brackets.
        text += f"[{_shown(rest.pop(0))}]"
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN_TEXT else text[: _SHOWN_TEXT - 3] + "..."


def _check_ids(manifest: DbtManifest) -> None:
    seen: dict[str, str] = {}
    sections = {
        "nodes": manifest.nodes,
        "sources": manifest.source_nodes,
        "unit_tests": manifest.unit_test_nodes,
    }
    for section, nodes in sections.items():
        for key in sorted(nodes):
            node = nodes[key]
            where = f"{section}[{_shown(key)}]"
            if node.unique_id != key:
                raise DBTConfigurationError(
                    f"the dbt manifest.json is damaged: {where}.unique_id is "
                    f"{_shown(node.unique_id)}, not the id it is filed under"
                )
            if _section_of(node.resource_type) != section:
                raise DBTConfigurationError(
                    f"the dbt manifest.json is damaged: {where}.resource_type is "
                    f"{_shown(node.resource_type)}, which does not belong in '{section}'"
                )
            other = seen.setdefault(key, section)
            if other != section:
                raise DBTConfigurationError(
                    f"the dbt manifest.json is damaged: {_shown(key)} is both in '{other}' "
                    f"and in '{section}'"
                )


def _section_of(resource_type: str) -> str:
    # The code reads each kind from its own section; anything else is in `nodes`.
    return {"source": "sources", "unit_test": "unit_tests"}.get(resource_type, "nodes")


def _check_acyclic(manifest: DbtManifest) -> None:
    graph = {
        unique_id: manifest.parents(node)
        for unique_id, node in [*manifest.nodes.items(), *manifest.source_nodes.items()]
    }
    cycle = find_cycle(graph)
    if cycle:
        raise DBTConfigurationError(
            "the dbt manifest.json is damaged: its dependencies hold a cycle, "
            + " -> ".join(_shown(unique_id) for unique_id in cycle)
            + " (each depends on the next through depends_on.nodes); dbt refuses cycles, so "
            "the file was edited or truncated: prepare it again (floe compile or dbt parse)"
        )


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle of ``graph`` (node -> what it reads), or ``None``; no recursion.

    Kahn's algorithm removes every node that does not sit on or behind a
    cycle; in what remains each node reads another remaining one, so walking
    always goes on, and the first node met twice closes a cycle. Taking the
    smallest id at each turn makes the cycle named the same on every run.

    Returns:
        The cycle, first node repeated at the end (``[a, b, a]``).
    """
    waiting = {node: 0 for node in graph}
    readers: dict[str, list[str]] = {}
    for node, parents in graph.items():
        for parent in parents:
            if parent in graph:
                waiting[node] += 1
                readers.setdefault(parent, []).append(node)
    ready = [node for node, count in waiting.items() if count == 0]
    while ready:
        for reader in readers.get(ready.pop(), ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    remaining = {node for node, count in waiting.items() if count > 0}
    if not remaining:
        return None
    position: dict[str, int] = {}
    current = min(remaining)
    while current not in position:
        position[current] = len(position)
        current = min(parent for parent in graph[current] if parent in remaining)
    path = list(position)
    return [*path[position[current] :], current]
