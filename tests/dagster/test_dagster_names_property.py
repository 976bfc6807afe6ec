"""Property: manifests named with every character dbt allows load, name validly and materialise.

Generated projects: a package named with any Unicode identifier (dbt's rule
for project names), models in directories, with schemas, aliases and a
database holding any character but NUL (spaces, quotes, ``+``, ``,``,
``é``, emoji, leading digits, dots), ephemeral models among them, a source
with such names, and a generic test per model. Each model name ends with a
distinct ``_<n>`` so two names never differ only in characters dbt's
selector syntax cannot spell (that case is refused by design:
``test_two_names_selector_syntax_cannot_tell_apart_are_refused``).

The runtime resolves selectors with dbt-core's own matching
(``dbt_selecting.py``), so a selector that is not exact is seen here. Seeds
are derandomised; a failure prints its falsifying example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, AssetsDefinition, Definitions, materialize
from dagster_fakes import dbt_test_node, manifest_of, model_node
from dbt_selecting import DbtSelectingRuntime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTConfigurationError
from floe_dagster import DagsterOrchestratorPlugin

VALID = re.compile(r"[A-Za-z0-9_]+")
KEY_PART = re.compile(r"[A-Za-z0-9_.-]+")  # '-' and '.' Dagster reads as '_'

# Any character but NUL and lone surrogates (no file or YAML can hold those).
ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
# A file or directory name: no "/" either, and not hidden.
IN_PATH = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/")
TEXT = st.text(ANY, min_size=1, max_size=10)
PACKAGE = st.from_regex(r"[^\W\d]\w{0,10}", fullmatch=True)


def _quoted(*parts: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    package = draw(PACKAGE)
    database = draw(TEXT)
    count = draw(st.integers(min_value=1, max_value=6))
    nodes: list[dict[str, Any]] = []
    source_name, table = draw(TEXT), draw(TEXT)
    source_schema, identifier = draw(TEXT), draw(TEXT)
    source_id = f"source.{package}.{source_name}.{table}"
    names = []
    for index in range(count):
        stem = draw(st.text(IN_PATH, min_size=1, max_size=8).filter(lambda t: t[0] != "."))
        name = f"{stem}_{index}"
        names.append(name)
        directory = draw(st.lists(st.text(IN_PATH, min_size=1, max_size=5), max_size=2))
        schema, alias = draw(TEXT), draw(TEXT) + f"_{index}"
        ephemeral = index > 0 and draw(st.booleans())
        upstream = draw(st.lists(st.sampled_from(names[:-1]), max_size=2)) if index else []
        depends_on = [f"model.{package}.{up}" for up in dict.fromkeys(upstream)]
        if index == 0:
            depends_on.append(source_id)
        materialized = "ephemeral" if ephemeral else draw(st.sampled_from(["table", "view"]))
        nodes.append(
            model_node(
                name,
                depends_on,
                package=package,
                path=directory,
                database=database,
                schema=schema,
                alias=alias,
                relation_name=None if ephemeral else _quoted(database, schema, alias),
                config={"materialized": materialized, "meta": {}},
            )
        )
        nodes.append(
            dbt_test_node(
                f"not_null_{name}_id", [f"model.{package}.{name}"], attached=name, package=package
            )
        )
    manifest = manifest_of(*nodes, project_name=package)
    manifest["sources"][source_id] = {
        **model_node(table, package=package),
        "unique_id": source_id,
        "resource_type": "source",
        "fqn": [package, source_name, table],
        "database": database,
        "schema": source_schema,
        "identifier": identifier,
        "relation_name": _quoted(database, source_schema, identifier),
        "original_file_path": "models/sources.yml",
    }
    return manifest


def _stranded(nodes: dict[str, Any]) -> set[str]:
    """Ephemeral models that no asset reads and that read no asset (through ephemeral models)."""
    ephemeral = {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "ephemeral"
    }
    parents = {uid: set(nodes[uid]["depends_on"]["nodes"]) for uid in ephemeral}
    children = {
        uid: {c for c, n in nodes.items() if uid in n["depends_on"]["nodes"]} for uid in ephemeral
    }

    def reaches_an_asset(start: str, edges: dict[str, set[str]]) -> bool:
        seen, frontier = set(), [start]
        while frontier:
            for other in edges.get(frontier.pop(), set()):
                if other in ephemeral and other not in seen:
                    seen.add(other)
                    frontier.append(other)
                elif other not in ephemeral and not other.startswith("test."):
                    return True
        return False

    return {
        uid
        for uid in ephemeral
        if not reaches_an_asset(uid, parents) and not reaches_an_asset(uid, children)
    }


def _steps(defs: Definitions) -> list[AssetsDefinition]:
    return [asset for asset in defs.assets or [] if isinstance(asset, AssetsDefinition)]


@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(manifest=projects(), data=st.data())
def test_any_dbt_names_load_as_valid_unique_names_and_materialise(
    manifest: dict[str, Any], data: st.DataObject, tmp_path: Path
) -> None:
    runtime = DbtSelectingRuntime(tmp_path, manifest)
    defs = DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        runtime, {"manifest": manifest}
    )
    graph = defs.resolve_asset_graph()
    nodes = manifest["nodes"]
    models = {uid for uid, node in nodes.items() if node["resource_type"] == "model"}
    built = {uid for uid in models if nodes[uid]["config"]["materialized"] != "ephemeral"}
    tests = {uid for uid, node in nodes.items() if node["resource_type"] == "test"}

    # Valid names: every key part, every check name, every step.
    keys = set(graph.get_all_asset_keys())
    assert all(KEY_PART.fullmatch(part) for key in keys for part in key.path)
    identifiers = [key.to_python_identifier() for key in keys]
    assert len(set(identifiers)) == len(identifiers)
    assert all(VALID.fullmatch(check.name) for check in graph.asset_check_keys)
    assert all(VALID.fullmatch(step.op.name) for step in _steps(defs))
    # Unique: one key per built model (and the source), one check per test.
    by_id = {graph.get(key).metadata["dbt/unique_id"]: key for key in keys}
    assert set(by_id) == built | {next(iter(manifest["sources"]))}
    # A test on an ephemeral model that reaches no asset either way has nothing to
    # be a check on: it is listed, never dropped in silence.
    stranded = {
        f"test.{manifest['metadata']['project_name']}.not_null_{nodes[uid]['name']}_id.0a1b2c"
        for uid in _stranded(nodes)
    }
    listed = (defs.metadata or {}).get("floe/dbt_tests_not_checks")
    assert {entry["unique_id"] for entry in listed.value} if listed else set() == stranded
    assert len(graph.asset_check_keys) == len(tests) - len(stranded)
    # Exact: dbt's own matching, run on each selector, picks that node alone.
    for unique_id in built:
        selector = graph.get(by_id[unique_id]).metadata["dbt/selector"]
        assert runtime._resolve(selector, "model") == [unique_id], selector
    for step in _steps(defs):
        for spec in step.check_specs:
            selector = spec.metadata["dbt/selector"]
            assert runtime._resolve(selector, "test") == [spec.metadata["dbt/unique_id"]]

    # Everything materialises, every test runs once.
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success
    materialised = [event.asset_key for event in result.get_asset_materialization_events()]
    assert sorted(materialised) == sorted(by_id[uid] for uid in built)
    evaluated = [event.asset_check_key for event in result.get_asset_check_evaluations()]
    assert len(evaluated) == len(set(evaluated)) == len(tests) - len(stranded)

    # A subset runs exactly its models.
    subset = data.draw(st.sets(st.sampled_from(sorted(built)), min_size=1), label="subset")
    runtime.calls.clear()
    assert materialize(defs.assets or [], selection=[by_id[uid] for uid in subset]).success
    assert runtime.selected("run") == [{nodes[uid]["name"] for uid in subset}]

    # Stable: the same names from the same project, whatever the node order.
    reordered = {**manifest, "nodes": dict(reversed(list(nodes.items())))}
    again = DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        DbtSelectingRuntime(tmp_path, reordered), {"manifest": reordered}
    )
    again_graph = again.resolve_asset_graph()
    assert set(again_graph.get_all_asset_keys()) == keys
    assert set(again_graph.asset_check_keys) == set(graph.asset_check_keys)


@pytest.mark.parametrize(
    "names",
    [
        ("a-b", "a_b", "a+b", "a:b", "a@b", "a.b"),
        ("café", "naïve", "1st", "x" * 200, "space here", "x.y"),
        (
            "a+1",
            "ab1",
        ),  # "+1" ending a value is dbt's children operator: spelt ?, told apart by file
    ],
)
def test_names_that_differ_in_a_spellable_character_are_each_selected_exactly(
    names: tuple[str, ...], tmp_path: Path
) -> None:
    manifest = manifest_of(
        *(model_node(name, relation_name=_quoted("warehouse", "main", name)) for name in names)
    )
    runtime = DbtSelectingRuntime(tmp_path, manifest)
    assets = DagsterOrchestratorPlugin(project_dir=tmp_path).create_assets_from_artifacts(
        {"manifest": manifest}, runtime
    )
    (step,) = [asset for asset in assets if isinstance(asset, AssetsDefinition)]

    for key in step.keys:
        runtime.calls.clear()
        assert materialize(assets, selection=[key]).success
        (name,) = runtime.selected("run")[0]
        assert step.specs_by_key[key].metadata["dbt/unique_id"] == f"model.shop.{name}"


def test_two_names_selector_syntax_cannot_tell_apart_are_refused(tmp_path: Path) -> None:
    # 'é' is '?' to dbt's selector syntax, and '?' matches the 'e' of cafe too.
    manifest = manifest_of(
        model_node("cafe", relation_name=_quoted("w", "main", "cafe")),
        model_node("café", relation_name=_quoted("w", "main", "café")),
    )

    with pytest.raises(DBTConfigurationError) as raised:
        DagsterOrchestratorPlugin(project_dir=tmp_path).create_assets_from_artifacts(
            {"manifest": manifest}, DbtSelectingRuntime(tmp_path, manifest)
        )

    message = str(raised.value)
    assert message.startswith("dbt node model.shop.café cannot be selected on its own")
    assert "also selects model.shop.cafe," in message
    assert "rename one of them" in message


def test_a_key_is_a_dagster_key_for_every_part(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node(
            "orders",
            database="my-db",
            schema="odd schema",
            alias="Orders, Inc.",
            relation_name=_quoted("my-db", "odd schema", "Orders, Inc."),
        )
    )
    defs = DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        DbtSelectingRuntime(tmp_path, manifest), {"manifest": manifest}
    )

    (key,) = defs.resolve_asset_graph().get_all_asset_keys()
    assert isinstance(key, AssetKey)
    # my-db is a key part as it is; the others are made names.
    assert key.path[0] == "my-db"
    assert [part.rsplit("_", 1)[0] for part in key.path[1:]] == ["odd_schema", "Orders_Inc"]
