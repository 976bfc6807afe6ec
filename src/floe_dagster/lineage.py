"""Who reads what among a manifest's assets: through ephemeral models, without recursion.

An ephemeral model is SQL inlined into what reads it, so its readers read
what it reads; a source merged into the seed that builds its relation is that
seed. Every walk here keeps its own stack: a chain of 5,000 ephemeral models
costs 5,000 steps, never 5,000 Python frames.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from floe_core.errors import DBTConfigurationError
from floe_core.vocabulary import RUN, SEED, SNAPSHOT, resource_types
from floe_dagster.manifest_model import DbtManifest, DbtNode, find_cycle

__all__ = ["Lineage", "asset_candidates"]

# The nodes that build a relation: what dbt run, seed and snapshot execute.
_BUILDERS = resource_types(RUN, SEED, SNAPSHOT)


def asset_candidates(manifest: DbtManifest) -> dict[str, DbtNode]:
    """Every node that is a relation: models (not ephemeral), seeds, snapshots and sources."""
    candidates = {
        uid: node
        for uid, node in manifest.nodes.items()
        if node.resource_type in _BUILDERS and not node.ephemeral
    }
    candidates.update(manifest.source_nodes)
    return candidates


class Lineage:
    """Dependencies between assets, seen through ephemeral models and merged relations.

    Args:
        manifest: The validated manifest (acyclic).
        canonical: Each asset candidate's ``unique_id`` -> the asset it is
            (itself, or the node building the relation a source reads).
    """

    def __init__(self, manifest: DbtManifest, canonical: Mapping[str, str]) -> None:
        self._manifest = manifest
        self._canonical = canonical
        self._members: dict[str, list[str]] = defaultdict(list)
        for unique_id, representative in canonical.items():
            self._members[representative].append(unique_id)
        self._children: dict[str, list[str]] = defaultdict(list)
        for unique_id, node in manifest.nodes.items():
            if node.resource_type in _BUILDERS:
                for parent in manifest.parents(node):
                    self._children[parent].append(unique_id)
        self._upstream: dict[str, tuple[str, ...]] = {}

    def asset_of(self, unique_id: str) -> str | None:
        """The asset a dbt node is (``None`` for an ephemeral model, a test ...)."""
        return self._canonical.get(unique_id)

    def is_ephemeral(self, unique_id: str) -> bool:
        """Whether ``unique_id`` is an ephemeral model of the manifest."""
        node = self._manifest.nodes.get(unique_id)
        return bool(node and node.ephemeral)

    def upstream(self, unique_id: str) -> tuple[str, ...]:
        """The assets ``unique_id`` reads, through ephemeral models, itself left out (sorted)."""
        stack = [unique_id]
        while stack:
            current = stack[-1]
            if current in self._upstream:
                stack.pop()
                continue
            node = self._manifest.node(current) or self._manifest.unit_test_nodes.get(current)
            parents = self._manifest.parents(node) if node else []
            pending = [p for p in parents if self.is_ephemeral(p) and p not in self._upstream]
            if pending:
                stack.extend(pending)
                continue
            found: set[str] = set()
            for parent in parents:
                asset = self._canonical.get(parent)
                if asset is not None:
                    found.add(asset)
                elif self.is_ephemeral(parent):
                    found.update(self._upstream[parent])
            found.discard(self._canonical.get(current, ""))
            self._upstream[current] = tuple(sorted(found))
            stack.pop()
        return self._upstream[unique_id]

    def read_by(self, node: DbtNode) -> set[str]:
        """The assets a test (or any node) reads: its parents' assets, through ephemeral models."""
        found: set[str] = set()
        for parent in self._manifest.parents(node):
            asset = self._canonical.get(parent)
            if asset is not None:
                found.add(asset)
            elif self.is_ephemeral(parent):
                found.update(self.upstream(parent))
        return found

    def readers(self, unique_id: str) -> list[str]:
        """The assets that read ``unique_id`` directly or through ephemeral models (sorted).

        For an asset, readers of any node merged into it count (a model
        reading the source that a seed feeds reads the seed).
        """
        asset = self._canonical.get(unique_id)
        frontier = list(self._members[asset]) if asset else [unique_id]
        seen = set(frontier)
        found: set[str] = set()
        while frontier:
            for child in self._children.get(frontier.pop(), ()):
                if child in seen:
                    continue
                seen.add(child)
                if self.is_ephemeral(child):
                    frontier.append(child)
                elif self._canonical.get(child) not in (None, asset):
                    found.add(self._canonical[child])
        return sorted(found)

    def ancestors(self, unique_id: str) -> set[str]:
        """Every asset upstream of ``unique_id``, transitively."""
        found: set[str] = set()
        frontier = list(self.upstream(unique_id))
        while frontier:
            current = frontier.pop()
            if current not in found:
                found.add(current)
                frontier.extend(self.upstream(current))
        return found

    def refuse_cycles(self, assets: Iterable[str]) -> None:
        """Refuse a cycle among assets (possible only once sources are merged into builders).

        Raises:
            DBTConfigurationError: The cycle, spelled out.
        """
        cycle = find_cycle({asset: self.upstream(asset) for asset in assets})
        if cycle:
            raise DBTConfigurationError(
                "dbt nodes read each other in a cycle once each source is the asset of the node "
                "that builds its relation: "
                + " -> ".join(cycle)
                + "; a model must not read (through a source) a relation built downstream of it"
            )
