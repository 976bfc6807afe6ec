"""The kit's shape: no import cycle between its modules, and no module over 450 lines.

The import graph is grimp's, built from the source (every ``import``,
including those inside functions and under ``TYPE_CHECKING``), so a cycle cut
by a late import is still a cycle here.
"""

from __future__ import annotations

from pathlib import Path

import floe_dbt_compliance
import grimp

PACKAGE = "floe_dbt_compliance"
ROOT = Path(floe_dbt_compliance.__file__).parent
MAX_LINES = 450


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_kit_imports_itself_back():
    built = grimp.build_graph(PACKAGE)
    graph = {
        module: set(built.find_modules_directly_imported_by(module))
        for module in built.modules
        if module.startswith(PACKAGE)
    }
    assert len(graph) > 40  # the whole kit, subpackages included
    assert "floe_dbt_compliance.catalogue.calls" in graph
    found = cycles(graph)
    chains = [
        built.find_shortest_chain(importer=component[0], imported=component[1])
        for component in found
    ]
    assert not found, f"import cycles in the kit: {found}; e.g. {chains}"


def test_no_module_of_the_kit_is_over_450_lines():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in ROOT.rglob("*.py")
    }
    assert len(sizes) > 40
    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}
