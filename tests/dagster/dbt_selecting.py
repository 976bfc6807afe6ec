"""A scripted runtime that resolves selectors with dbt-core's own grammar and matching.

``ScriptedRuntime`` knows only the selectors floe used to write; this one
reads each union member and intersection part with dbt's
``RAW_SELECTOR_PATTERN`` and matches ``fqn:`` with dbt's ``is_selected_node``
(against the fqn and the fqn without its package, as dbt's
``QualifiedNameSelectorMethod`` does), ``file:`` and ``package:`` with
fnmatch, ``resource_type:`` by equality, applies dbt test's indirect
selection (a selected model's tests run too), and, like dbt, reports no
result for an ephemeral model. So a selector that is not
exact runs, here as in dbt, more than the step asked for, and the tests that
use it see it. It imports dbt: use it only where dbt-core is installed.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any

from dagster_fakes import ScriptedLifecycleRuntime
from dbt.graph.selector_methods import is_selected_node
from dbt.graph.selector_spec import RAW_SELECTOR_PATTERN


class DbtSelectingRuntime(ScriptedLifecycleRuntime):
    """A lifecycle runtime whose selection is dbt's, node for node."""

    runtime_type = "dbt-selecting"

    def _resolve(self, select: str | None, resource_type: str) -> list[str]:
        nodes = self.manifest["nodes"]
        # dbt compiles a selected ephemeral model into what reads it and reports no result.
        of_type = {
            uid
            for uid, node in nodes.items()
            if node["resource_type"] == resource_type
            and node["config"].get("materialized") != "ephemeral"
        }
        if select is None:
            return sorted(of_type)
        chosen: set[str] = set()
        for member in select.split():
            matched = set(nodes)
            for part in member.split(","):
                matched &= {uid for uid, node in nodes.items() if _matches(part, node)}
            chosen |= matched
        if resource_type == "test":
            # dbt test runs the tests of every other node selected (eager indirect selection).
            chosen |= {uid for uid in of_type if set(nodes[uid]["depends_on"]["nodes"]) & chosen}
        return sorted(chosen & of_type)


def _matches(part: str, node: dict[str, Any]) -> bool:
    found = RAW_SELECTOR_PATTERN.match(part)
    assert found is not None, f"dbt would refuse the selector {part!r}"
    spec = found.groupdict()
    operators = [spec[name] for name in ("parents", "children", "childrens_parents")]
    assert not any(operators), f"{part!r} has a graph operator: dbt selects more than the node"
    method, value = spec["method"], spec["value"]
    if method == "fqn":
        versioned = node.get("version") is not None
        fqn = node["fqn"]
        return is_selected_node(fqn, value, versioned) or (
            len(fqn) > 1 and is_selected_node(fqn[1:], value, versioned)
        )
    path = PurePosixPath(node["original_file_path"])
    if method == "file":
        return fnmatch(path.name, value) or fnmatch(path.stem, value)
    if method == "package":
        return fnmatch(node["package_name"], value)
    if method == "resource_type":
        return bool(node["resource_type"] == value)
    raise AssertionError(f"floe does not write the {method!r} method: {part!r}")
