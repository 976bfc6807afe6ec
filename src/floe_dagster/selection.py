"""Selection expressions that select exactly the nodes a Dagster step asked for.

A step that materialises two models of fifty must hand dbt a selector that
matches those two and nothing else. dbt's ``fqn`` method is a *prefix* match:
``fqn:shop.marts.finance`` selects ``models/marts/finance.sql`` and every
model under ``models/marts/finance/`` too; a bare name matches every node of
that name in every package. So each node's selector is chosen here, from the
manifest alone, and checked against every node the dbt command could pick:

1. ``fqn:<its fqn>``;
2. the same intersected (dbt's ``,``) with ``file:<its file name>``,
   ``package:<its package>``, ``resource_type:<its type>``, or several of
   them, when the prefix also matches nodes in a directory of the same name,
   in another package, or of another type (a singular test ``tests/orders.sql``
   and the model ``models/orders.sql`` share the fqn ``shop.orders``);
3. ``fqn:<name>`` (``fqn:<name>.v<N>`` for a version), refined the same way,
   when the fqn holds text that is not selector syntax (a directory with a
   space ...);
4. when the name itself holds such text (``a+b``, ``café``, ``a b``), the
   same values with each such character written ``?`` (any one character),
   refined the same way: ``fqn:shop.a?b,file:a?b.sql`` ... The matches of
   a pattern are computed by dbt's rules (:mod:`floe_dagster.dbt_matching`),
   so ``a-b`` or ``a_b`` next to ``a+b`` are seen and told apart.

The first candidate that is dbt selector syntax
(:func:`floe_core.selectors.selector_members`) and matches only its node
wins; a node with none is an error at load time, naming the nodes it cannot be
told apart from (two names that differ only in unspellable characters at the
same places, in one directory). Matching follows dbt's ``is_selected_node``
and ``QualifiedNameSelectorMethod`` (leaf match, versioned leaf match,
flattened prefix match, the same against the fqn without its package):
through indexes for literal values, so a 500-model project is checked in
milliseconds, and by scanning the rival nodes for patterns.

Which nodes count: ``dbt run`` only runs models, ``dbt seed`` seeds, ``dbt
snapshot`` snapshots; ``dbt test`` runs the tests selected *and* the tests of
every other node selected (indirect selection), so a test's selector must
match no other node at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from pathlib import PurePosixPath
from typing import Any

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import Selector
from floe_core.vocabulary import BUILD, TEST, resource_types
from floe_dagster.dbt_matching import as_pattern, fqn_selects, has_wildcard, name_selects
from floe_dagster.manifest_model import DbtManifest, DbtNode, as_manifest

__all__ = ["ExactSelector", "union_selector"]

# The node types dbt test runs, and every node type a command runs.
_TESTS = resource_types(TEST)
_COMMAND_TYPES = resource_types(BUILD)


class ExactSelector:
    """Chooses, for any node of a manifest, a selector that matches only that node.

    Args:
        manifest: A parsed dbt ``manifest.json`` (validated here when it is a mapping).
    """

    def __init__(self, manifest: DbtManifest | Mapping[str, Any]) -> None:
        manifest = as_manifest(manifest)
        self._project = manifest.metadata.project_name
        self._nodes: dict[str, DbtNode] = {**manifest.nodes, **manifest.unit_test_nodes}
        self._fqn_index: dict[str, set[str]] = defaultdict(set)
        self._file_index: dict[str, set[str]] = defaultdict(set)
        self._package_index: dict[str, set[str]] = defaultdict(set)
        self._type_index: dict[str, set[str]] = defaultdict(set)
        self._everything: dict[str, set[str]] = defaultdict(set)
        for unique_id, node in self._nodes.items():
            self._index(unique_id, node)

    def _index(self, unique_id: str, node: DbtNode) -> None:
        resource_type = node.resource_type
        if resource_type in _COMMAND_TYPES and not node.ephemeral:
            self._everything[resource_type].add(unique_id)
        for scoped in (node.fqn, node.fqn[1:]):
            if scoped:
                for key in _match_keys(scoped, versioned=node.version is not None):
                    self._fqn_index[key].add(unique_id)
        self._package_index[node.package_name].add(unique_id)
        self._type_index[resource_type].add(unique_id)
        path = PurePosixPath(node.original_file_path)
        for name in {path.name, path.stem} - {""}:
            self._file_index[name].add(unique_id)

    def everything(self, resource_type: str) -> frozenset[str]:
        """Every node a command for ``resource_type`` runs when given no selector.

        Args:
            resource_type: ``model``, ``seed``, ``snapshot``, ``test`` or ``unit_test``.

        Returns:
            The ``unique_id`` of each (ephemeral models excluded: dbt runs none).
        """
        return frozenset(self._everything.get(resource_type, ()))

    def for_node(self, unique_id: str) -> str:
        """Return the first candidate selector that matches only ``unique_id``.

        Args:
            unique_id: A node of the manifest (model, seed, snapshot, test or unit test).

        Returns:
            One union member, e.g. ``fqn:shop.marts.orders``.

        Raises:
            DBTConfigurationError: No candidate is selector syntax and exact.
        """
        node = self._nodes[unique_id]
        rivals = self._rivals(node.resource_type)
        best_overlap: set[str] = set()
        for candidate, matched in self._candidates(node, rivals):
            try:
                if len(Selector(candidate).members) != 1:
                    continue
            except DBTConfigurationError:
                continue
            overlap = (matched & rivals) - {unique_id}
            if unique_id in matched and not overlap:
                return candidate
            if not best_overlap or len(overlap) < len(best_overlap):
                best_overlap = overlap
        others = ", ".join(sorted(best_overlap)) or "nothing it can be told apart from"
        raise DBTConfigurationError(
            f"dbt node {unique_id} cannot be selected on its own (fqn {'.'.join(node.fqn)!r}, "
            f"file {node.original_file_path!r}): every selector for it also selects {others}, "
            "whose name differs only in characters dbt's selector syntax cannot spell (a space, "
            "a comma, a quote, a letter outside ASCII ...) at the same places; rename one of them"
        )

    def _rivals(self, resource_type: str) -> set[str]:
        # dbt test also runs the tests of any non-test node it selects.
        if resource_type in _TESTS:
            return set(self._nodes)
        return self._everything.get(resource_type, set())

    def _candidates(self, node: DbtNode, rivals: set[str]) -> Iterable[tuple[str, set[str]]]:
        # Values that spell the node literally first, patterns ('?' for what
        # selector syntax cannot spell) after: the fqn, then the name alone.
        leaf = node.name + (f".v{node.version}" if node.version is not None else "")
        written = [".".join(node.fqn), leaf]
        literal = [value for value in written if as_pattern(value) == value]
        patterns = [as_pattern(value) for value in written if as_pattern(value) != value]
        values = list(dict.fromkeys([*literal, *patterns]))
        path = PurePosixPath(node.original_file_path)
        narrowings = [
            ("file", as_pattern(path.name), self._file_matches(as_pattern(path.name), rivals)),
            ("package", as_pattern(node.package_name), self._package_matches(node, rivals)),
            ("resource_type", node.resource_type, self._type_index[node.resource_type]),
        ]
        usable = [(f"{method}:{value}", ids) for method, value, ids in narrowings if value]
        refinements = [
            combination
            for size in range(len(usable) + 1)
            for combination in combinations(usable, size)
        ]
        for value in values:
            matched = self._fqn_matches(value, rivals)
            for refinement in refinements:
                narrowed = set(matched)
                for _, ids in refinement:
                    narrowed &= ids
                yield ",".join([f"fqn:{value}", *(text for text, _ in refinement)]), narrowed

    def _fqn_matches(self, value: str, rivals: set[str]) -> set[str]:
        if has_wildcard(value):
            return {
                uid
                for uid in rivals
                if fqn_selects(value, self._nodes[uid].fqn, versioned=self._versioned(uid))
            }
        parts = value.split(".")
        found = set(self._fqn_index.get("prefix:" + "\0".join(parts), ()))
        for key in ("leaf:" + value, "vleaf:" + value, "vjoin:" + "_".join(parts[-2:])):
            found |= self._fqn_index.get(key, set())
        return found

    def _file_matches(self, pattern: str, rivals: set[str]) -> set[str]:
        if not has_wildcard(pattern):
            return self._file_index[pattern]
        found = set()
        for uid in rivals:
            path = PurePosixPath(self._nodes[uid].original_file_path)
            if name_selects(pattern, path.name) or name_selects(pattern, path.stem):
                found.add(uid)
        return found

    def _package_matches(self, node: DbtNode, rivals: set[str]) -> set[str]:
        pattern = as_pattern(node.package_name)
        if pattern == "this" and self._project != "this":
            return set()  # dbt reads package:this as the project, not a package named "this"
        if not has_wildcard(pattern):
            return self._package_index[pattern]
        return {uid for uid in rivals if name_selects(pattern, self._nodes[uid].package_name)}

    def _versioned(self, unique_id: str) -> bool:
        return self._nodes[unique_id].version is not None


def _match_keys(fqn: list[str], *, versioned: bool) -> Iterable[str]:
    """The index keys under which dbt's fqn method (without wildcards) matches this fqn."""
    if versioned and len(fqn) >= 2:
        yield "vleaf:" + fqn[-2]
        yield "vjoin:" + "_".join(fqn[-2:])
    else:
        yield "leaf:" + fqn[-1]
    flat = [item for segment in fqn for item in segment.split(".")]
    for length in range(1, len(flat) + 1):
        yield "prefix:" + "\0".join(flat[:length])


def union_selector(
    unique_ids: Iterable[str],
    selectors: Mapping[str, str],
    *,
    everything: Mapping[str, frozenset[str]],
    kinds: Iterable[str],
) -> Selector:
    """The selector for some nodes: ``resource_type:<kind>`` for whole kinds, members for the rest.

    Selecting every node of a kind by ``resource_type:<kind>`` keeps the
    command short and, unlike no selector at all, ignores a default selector
    the project may declare in ``selectors.yml``.

    Args:
        unique_ids: The nodes to select.
        selectors: Each node's exact member.
        everything: Per resource type, every node of it in the manifest.
        kinds: The resource types the command runs (``model``; ``test`` and
            ``unit_test`` ...), in the order to write them.

    Returns:
        A selection expression, checked once here: a runtime given it does not
        check it again.
    """
    wanted = set(unique_ids)
    members = []
    for kind in kinds:
        whole = everything.get(kind, frozenset())
        if whole and whole <= wanted:
            members.append(f"resource_type:{kind}")
            wanted -= whole
    members.extend(selectors[unique_id] for unique_id in sorted(wanted))
    return Selector.union(members)
