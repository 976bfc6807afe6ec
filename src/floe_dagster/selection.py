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
   space ...).

The first candidate that is dbt selector syntax
(:func:`floe_core.selectors.selector_members`) and matches only its node
wins; a node with none is an error at load time, naming the nodes it cannot be
told apart from. Matching follows dbt's ``is_selected_node`` and
``QualifiedNameSelectorMethod`` (leaf match, versioned leaf match, flattened
prefix match, the same against the fqn without its package) for selectors
without wildcards, through indexes, so a 500-model project is checked in
milliseconds.

Which nodes count: ``dbt run`` only runs models, ``dbt seed`` seeds, ``dbt
snapshot`` snapshots; ``dbt test`` runs the tests selected *and* the tests of
every other node selected (indirect selection), so a test's selector must
match no other node at all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from pathlib import PurePosixPath
from typing import Any

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import selector_members

__all__ = ["ExactSelector", "union_selector"]

# Text an fqn part or a file name may hold and still mean itself in a selector:
# no wildcard (* ? [ ]), no graph operator (+ @), no intersection (,), no method (:).
_LITERAL = re.compile(r"[A-Za-z0-9_.-]+")
_TESTS = "test"
_COMMAND_TYPES = {"model": "model", "seed": "seed", "snapshot": "snapshot", "test": _TESTS}


class ExactSelector:
    """Chooses, for any node of a manifest, a selector that matches only that node.

    Args:
        manifest: A parsed dbt ``manifest.json``.
    """

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self._nodes: dict[str, Mapping[str, Any]] = {
            **(manifest.get("nodes") or {}),
            **(manifest.get("unit_tests") or {}),
        }
        self._fqn_index: dict[str, set[str]] = defaultdict(set)
        self._file_index: dict[str, set[str]] = defaultdict(set)
        self._package_index: dict[str, set[str]] = defaultdict(set)
        self._type_index: dict[str, set[str]] = defaultdict(set)
        self._everything: dict[str, set[str]] = defaultdict(set)
        for unique_id, node in self._nodes.items():
            self._index(unique_id, node)

    def _index(self, unique_id: str, node: Mapping[str, Any]) -> None:
        resource_type = str(node.get("resource_type"))
        ephemeral = (node.get("config") or {}).get("materialized") == "ephemeral"
        if resource_type in _COMMAND_TYPES and not (resource_type == "model" and ephemeral):
            self._everything[resource_type].add(unique_id)
        fqn = [str(part) for part in node.get("fqn") or ()]
        if not fqn:
            return
        for scoped in (fqn, fqn[1:]):
            if not scoped:
                continue
            for key in _match_keys(scoped, versioned=node.get("version") is not None):
                self._fqn_index[key].add(unique_id)
        self._package_index[str(node.get("package_name") or "")].add(unique_id)
        self._type_index[resource_type].add(unique_id)
        path = PurePosixPath(str(node.get("original_file_path") or ""))
        for name in {path.name, path.stem} - {""}:
            self._file_index[name].add(unique_id)

    def everything(self, resource_type: str) -> frozenset[str]:
        """Every node a command for ``resource_type`` runs when given no selector.

        Args:
            resource_type: ``model``, ``seed``, ``snapshot`` or ``test``.

        Returns:
            The ``unique_id`` of each (ephemeral models excluded: dbt runs none).
        """
        return frozenset(self._everything.get(resource_type, ()))

    def for_node(self, unique_id: str) -> str:
        """Return the first candidate selector that matches only ``unique_id``.

        Args:
            unique_id: A node of the manifest (model, seed, snapshot or test).

        Returns:
            One union member, e.g. ``fqn:shop.marts.orders``.

        Raises:
            DBTConfigurationError: No candidate is selector syntax and exact.
        """
        node = self._nodes[unique_id]
        rivals = self._rivals(str(node.get("resource_type")))
        best_overlap: set[str] = set()
        for candidate, matched in self._candidates(node):
            try:
                if len(selector_members(candidate, field="select")) != 1:
                    continue
            except DBTConfigurationError:
                continue
            overlap = (matched & rivals) - {unique_id}
            if unique_id in matched and not overlap:
                return candidate
            best_overlap = best_overlap or overlap
        others = ", ".join(sorted(best_overlap)) or "none of its fqn parts is selector syntax"
        raise DBTConfigurationError(
            f"dbt node {unique_id} cannot be selected on its own (fqn "
            f"{'.'.join(map(str, node.get('fqn') or ()))}, file {node.get('original_file_path')}): "
            f"every selector for it also selects {others}; rename its file or directory so "
            "its path is letters, digits, '_', '-' and '.' and no directory is named like it"
        )

    def _rivals(self, resource_type: str) -> set[str]:
        # dbt test also runs the tests of any non-test node it selects.
        if resource_type == _TESTS:
            return set(self._nodes)
        return self._everything.get(resource_type, set())

    def _candidates(self, node: Mapping[str, Any]) -> Iterable[tuple[str, set[str]]]:
        fqn = [str(part) for part in node.get("fqn") or ()]
        versioned = node.get("version") is not None
        values = []
        if fqn and all(_LITERAL.fullmatch(part) for part in fqn):
            values.append(".".join(fqn))
        version = node.get("version")
        values.append(f"{node.get('name')}.v{version}" if versioned else str(node.get("name")))
        file_name = PurePosixPath(str(node.get("original_file_path") or "")).name
        package = str(node.get("package_name") or "")
        resource_type = str(node.get("resource_type") or "")
        narrowings = [
            (f"file:{file_name}", self._file_index[file_name]),
            (f"package:{package}", self._package_index[package]),
            (f"resource_type:{resource_type}", self._type_index[resource_type]),
        ]
        usable = [(text, ids) for text, ids in narrowings if _LITERAL.fullmatch(text.split(":")[1])]
        refinements = [
            combination
            for size in range(len(usable) + 1)
            for combination in combinations(usable, size)
        ]
        for value in values:
            matched = self._matches(value)
            for refinement in refinements:
                narrowed = set(matched)
                for _, ids in refinement:
                    narrowed &= ids
                yield ",".join([f"fqn:{value}", *(text for text, _ in refinement)]), narrowed

    def _matches(self, value: str) -> set[str]:
        parts = value.split(".")
        found = set(self._fqn_index.get("prefix:" + "\0".join(parts), ()))
        for key in ("leaf:" + value, "vleaf:" + value, "vjoin:" + "_".join(parts[-2:])):
            found |= self._fqn_index.get(key, set())
        return found


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
    everything: frozenset[str],
    kind: str,
) -> str:
    """The selector for a set of nodes of one kind: their members' union, or ``resource_type:``.

    Selecting every node of a kind by ``resource_type:<kind>`` keeps the
    command short and, unlike no selector at all, ignores a default selector
    the project may declare in ``selectors.yml``.

    Args:
        unique_ids: The nodes to select.
        selectors: Each node's exact member.
        everything: Every node of this kind in the manifest.
        kind: ``model``, ``seed``, ``snapshot`` or ``test``.

    Returns:
        A selection expression.
    """
    wanted = set(unique_ids)
    if everything and wanted == everything:
        return f"resource_type:{kind}"
    return " ".join(selectors[unique_id] for unique_id in sorted(wanted))
