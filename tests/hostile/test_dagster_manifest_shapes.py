"""A damaged manifest.json is a clear DBTConfigurationError, never a traceback (floe_dagster).

The Dagster plugin loads a manifest a deploy step wrote or dbt Cloud served.
Whatever its shape, loading either succeeds or raises
``DBTConfigurationError`` naming the node and the field (or the cycle): not
``KeyError``, ``AttributeError``, ``TypeError`` or ``RecursionError``.
Mutations of a manifest real dbt wrote are drawn by hypothesis
(derandomised) on top of the hand-picked shapes.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dagster import Definitions
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTConfigurationError
from floe_dagster import DagsterOrchestratorPlugin

sys.path.insert(0, str(Path(__file__).parents[1] / "dagster"))
from dagster_fakes import ScriptedRuntime, dbt_test_node, manifest_of, model_node

LINEAGE = Path(__file__).parents[1] / "dagster" / "lineage_project"
Mutation = Callable[[dict[str, Any]], None]


def _load(manifest: Any, tmp_path: Path) -> Definitions:
    runtime = ScriptedRuntime(tmp_path, manifest if isinstance(manifest, dict) else {})
    defs = DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        runtime, {"manifest": manifest}
    )
    # Dagster's own check of a code location (a manifest may leave it without assets).
    Definitions.validate_loadable(defs)
    defs.resolve_all_job_defs()
    return defs


def _shop() -> dict[str, Any]:
    return manifest_of(
        model_node("orders"),
        model_node("totals", ["orders"]),
        dbt_test_node("not_null_orders_id", ["orders"], attached="orders"),
    )


ORDERS = "model.shop.orders"


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        target = manifest
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        target = manifest
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def _depend(reader: str, *read: str) -> Mutation:
    def mutate(manifest: dict[str, Any]) -> None:
        manifest["nodes"][reader]["depends_on"]["nodes"].extend(read)

    return mutate


SHAPES: list[tuple[str, Mutation, list[str]]] = [
    ("a node without name", _delete(["nodes", ORDERS, "name"]), [ORDERS, ".name", "required"]),
    ("depends_on null", _set(["nodes", ORDERS, "depends_on"], None), [ORDERS, ".depends_on"]),
    ("a node that is a string", _set(["nodes", ORDERS], "orders"), [ORDERS, "dictionary"]),
    ("nodes as a list", lambda m: m.update(nodes=list(m["nodes"].values())), ["'nodes'"]),
    (
        "a dependency that is a number",
        _set(["nodes", ORDERS, "depends_on", "nodes"], [7]),
        [ORDERS, "depends_on.nodes[0]"],
    ),
    ("an empty fqn", _set(["nodes", ORDERS, "fqn"], []), [ORDERS, ".fqn"]),
    ("a name that is a number", _set(["nodes", ORDERS, "name"], 42), [ORDERS, ".name", "int"]),
    ("config null", _set(["nodes", ORDERS, "config"], None), [ORDERS, ".config"]),
    ("sources as a list", _set(["sources"], []), ["sources"]),
    ("groups of strings", _set(["groups"], {"g": "finance"}), ["groups['g']"]),
    (
        "a project name that is a list",
        _set(["metadata", "project_name"], ["a"]),
        ["metadata.project_name"],
    ),
    (
        "a node under another id",
        _set(["nodes", ORDERS, "unique_id"], "model.shop.x"),
        [ORDERS, "not the id it is filed under"],
    ),
    (
        "a source among the nodes",
        _set(["nodes", ORDERS, "resource_type"], "source"),
        [ORDERS, "does not belong in 'nodes'"],
    ),
    (
        "a model depending on itself",
        _depend(ORDERS, ORDERS),
        [f"'{ORDERS}' -> '{ORDERS}'", "cycle"],
    ),
    (
        "a cycle",
        _depend(ORDERS, "model.shop.totals"),
        [f"'{ORDERS}' -> 'model.shop.totals' -> '{ORDERS}'"],
    ),
    (
        "unit_tests of the wrong type",
        _set(["unit_tests"], {"u": {"unique_id": "u"}}),
        ["unit_tests['u']"],
    ),
]


@pytest.mark.parametrize(
    ("mutation", "named"), [(m, n) for _, m, n in SHAPES], ids=[s[0] for s in SHAPES]
)
def test_a_damaged_manifest_is_refused_naming_the_node_and_field(
    mutation: Mutation, named: list[str], tmp_path: Path
) -> None:
    manifest = _shop()
    mutation(manifest)

    with pytest.raises(DBTConfigurationError) as raised:
        _load(manifest, tmp_path)

    assert type(raised.value) is DBTConfigurationError
    for text in named:
        assert text in str(raised.value)


def test_a_source_merged_into_a_model_that_reads_it_through_another_is_a_named_cycle(
    tmp_path: Path,
) -> None:
    # The source reads the relation `orders` builds; orders reads totals, which reads the source.
    manifest = _shop()
    manifest["nodes"]["model.shop.totals"]["depends_on"]["nodes"] = ["source.shop.raw.orders"]
    manifest["nodes"][ORDERS]["depends_on"]["nodes"] = ["model.shop.totals"]
    manifest["sources"]["source.shop.raw.orders"] = {
        **model_node("orders"),
        "unique_id": "source.shop.raw.orders",
        "resource_type": "source",
        "identifier": "orders",
    }

    with pytest.raises(DBTConfigurationError, match="cycle") as raised:
        _load(manifest, tmp_path)

    assert f"{ORDERS} -> model.shop.totals -> {ORDERS}" in str(raised.value)


def test_an_ephemeral_chain_5000_long_loads_without_recursion(tmp_path: Path) -> None:
    length = 5000
    chain = [
        model_node(
            f"e{index}",
            [f"e{index - 1}"] if index else ["source.shop.raw.events"],
            config={"materialized": "ephemeral", "meta": {}},
        )
        for index in range(length)
    ]
    manifest = manifest_of(
        *chain,
        model_node("report", [f"e{length - 1}"]),
        dbt_test_node("not_null_e0_id", ["e0"], attached="e0"),
    )
    manifest["sources"]["source.shop.raw.events"] = {
        **model_node("events"),
        "unique_id": "source.shop.raw.events",
        "resource_type": "source",
        "identifier": "events",
        "schema": "raw",
    }

    defs = _load(manifest, tmp_path)

    graph = defs.resolve_asset_graph()
    (report,) = [key for key in graph.get_all_asset_keys() if key.path[-1] == "report"]
    assert {key.path[-1] for key in graph.get(report).parent_keys} == {"events"}
    # The test on the chain's first ephemeral model is a check on what reads it.
    (check,) = graph.asset_check_keys
    assert check.asset_key == report


@pytest.mark.parametrize("damage", [None, "x", 7, [1], {"a": None}])
def test_sections_the_plugin_does_not_read_may_hold_anything(damage: Any, tmp_path: Path) -> None:
    intact = _load(_shop(), tmp_path).resolve_asset_graph()
    manifest = _shop()
    for section in ("child_map", "parent_map", "macros", "disabled", "exposures"):
        manifest[section] = damage
    manifest["nodes"][ORDERS]["columns"] = damage
    manifest["nodes"][ORDERS]["depends_on"]["macros"] = damage
    # dbt 1.11's functions, say: an id that is no node or source is not lineage.
    manifest["nodes"][ORDERS]["depends_on"]["nodes"].append("function.shop.f")

    graph = _load(manifest, tmp_path).resolve_asset_graph()

    assert set(graph.get_all_asset_keys()) == set(intact.get_all_asset_keys())
    assert set(graph.asset_check_keys) == set(intact.asset_check_keys)


# --- hypothesis: mutations of a manifest real dbt wrote ----------------------

_READ_SECTIONS = ("metadata", "nodes", "sources", "groups", "unit_tests")


@pytest.fixture(scope="module")
def real_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    project = tmp_path_factory.mktemp("lineage") / "lineage"
    shutil.copytree(LINEAGE, project)
    result = dbtRunner().invoke(
        ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    )
    assert result.success, result.exception
    document: dict[str, Any] = json.loads((project / "target" / "manifest.json").read_text())
    return {key: document[key] for key in (*_READ_SECTIONS, "child_map", "parent_map")}


def _paths(document: Any, prefix: tuple[Any, ...] = (), depth: int = 4) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if depth == 0:
        return found
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key), depth - 1)
    elif isinstance(document, list):
        for index, value in enumerate(document[:3]):
            found += _paths(value, (*prefix, index), depth - 1)
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutations(draw: st.DrawFn, paths: list[tuple[Any, ...]], ids: list[str]) -> list[Any]:
    chosen = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["delete", "replace", "depend", "chain"]))
        if kind in ("delete", "replace"):
            chosen.append((kind, draw(st.sampled_from(paths)), draw(JSON)))
        elif kind == "depend":
            chosen.append((kind, draw(st.sampled_from(ids)), draw(st.sampled_from(ids))))
        else:
            chosen.append((kind, draw(st.sampled_from(ids)), draw(st.integers(1, 200))))
    return chosen


def _apply(manifest: dict[str, Any], mutation: tuple[Any, ...]) -> None:
    kind, where, what = mutation
    nodes = manifest.get("nodes")
    if kind in ("depend", "chain") and not isinstance(nodes, dict):
        return  # an earlier mutation took the nodes away
    if kind == "depend":
        node = nodes.get(where)
        depends_on = node.get("depends_on") if isinstance(node, dict) else None
        if isinstance(depends_on, dict) and isinstance(depends_on.get("nodes"), list):
            depends_on["nodes"].append(what)
        return
    if kind == "chain":
        # what read `where` now reads it through a chain of ephemeral models
        previous = where
        for index in range(what):
            uid = f"model.lineage.chain_{index}"
            nodes[uid] = model_node(
                f"chain_{index}",
                [previous],
                package="lineage",
                config={"materialized": "ephemeral", "meta": {}},
            )
            previous = uid
        return
    target = manifest
    for part in where[:-1]:
        if not isinstance(target, (dict, list)):
            return
        try:
            target = target[part]
        except (KeyError, IndexError, TypeError):
            return
    last = where[-1]
    present = (isinstance(target, dict) and last in target) or (
        isinstance(target, list) and isinstance(last, int) and last < len(target)
    )
    if present and kind == "delete":
        del target[last]
    elif present:
        target[last] = what


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mutation_loads_or_is_a_configuration_error(
    data: st.DataObject, real_manifest: dict[str, Any], tmp_path: Path
) -> None:
    paths = [path for path in _paths(real_manifest) if path[0] in _READ_SECTIONS]
    ids = sorted(real_manifest["nodes"]) + sorted(real_manifest["sources"])
    manifest = copy.deepcopy(real_manifest)
    for mutation in data.draw(mutations(paths, ids), label="mutations"):
        _apply(manifest, mutation)

    refusal = _refusal(manifest, tmp_path)

    event("loaded" if refusal is None else "refused")
    assert refusal is None or (type(refusal) is DBTConfigurationError and str(refusal))


def _refusal(manifest: dict[str, Any], tmp_path: Path) -> DBTConfigurationError | None:
    # Anything but a DBTConfigurationError escapes and fails the test.
    try:
        _load(manifest, tmp_path)
    except DBTConfigurationError as error:
        return error
    return None
