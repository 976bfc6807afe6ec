"""Seeds feeding sources: one relation is one asset, whatever the manifest's order (no dbt).

The load failure this replaces: a seed loading the table a source reads was
refused as "two nodes mapping to one asset key", naming a different pair
from one run to the next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, Definitions
from dagster_fakes import (
    ScriptedLifecycleRuntime,
    ScriptedRuntime,
    dbt_test_node,
    manifest_of,
    model_node,
    seed_node,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTConfigurationError
from floe_dagster import DagsterOrchestratorPlugin, read_dbt_graph
from floe_dagster.manifest_model import DbtNode
from floe_dagster.relations import relation_identity

RAW = AssetKey(["warehouse", "raw", "customers"])
SOURCE = "source.shop.raw.customers"


def _source(
    table: str = "customers", *, relation_name: str | None = None, **extra: Any
) -> dict[str, Any]:
    node = model_node(table)
    node.update(
        unique_id=f"source.shop.raw.{table}",
        resource_type="source",
        fqn=["shop", "raw", table],
        schema="raw",
        identifier=table,
        relation_name=relation_name or f'"warehouse"."raw"."{table}"',
        original_file_path="models/sources.yml",
    )
    node.update(extra)
    return node


def _seed(name: str = "raw_customers", **extra: Any) -> dict[str, Any]:
    # A seed configured into the schema and alias the source reads.
    return seed_node(
        name,
        schema="raw",
        alias="customers",
        relation_name='"warehouse"."raw"."customers"',
        **extra,
    )


def _project(*nodes: dict[str, Any], sources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    manifest = manifest_of(*nodes)
    for source in sources if sources is not None else [_source()]:
        manifest["sources"][source["unique_id"]] = source
    return manifest


def _seeded() -> dict[str, Any]:
    return _project(
        _seed(),
        model_node("stg_customers", [SOURCE]),
        dbt_test_node("source_not_null_raw_customers_id", [SOURCE]),
        dbt_test_node("unique_raw_customers_id", ["seed.shop.raw_customers"]),
    )


def _defs(manifest: dict[str, Any], tmp_path: Path, *, lifecycle: bool) -> Definitions:
    kind = ScriptedLifecycleRuntime if lifecycle else ScriptedRuntime
    return DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        kind(tmp_path, manifest), {"manifest": manifest}
    )


def _node(**fields: Any) -> DbtNode:
    base = {"unique_id": "x", "resource_type": "source", "name": "t", "package_name": "p"}
    return DbtNode.model_validate({"fqn": ["p", "t"], **base, **fields})


@pytest.mark.parametrize(
    ("adapter", "first", "second", "same"),
    [
        ("duckdb", '"Shop"."Main"."Customers"', '"shop"."main"."customers"', True),
        ("postgres", '"shop"."main"."customers"', "shop.main.CUSTOMERS", True),
        ("postgres", '"shop"."main"."Customers"', '"shop"."main"."customers"', False),
        ("snowflake", "SHOP.MAIN.customers", '"SHOP"."MAIN"."CUSTOMERS"', True),
        ("snowflake", '"SHOP"."MAIN"."customers"', "SHOP.MAIN.customers", False),
        ("bigquery", "`p`.`d`.`Customers`", "`p`.`d`.`customers`", False),
        ("unknown", '"a"."b"."c"', "a.b.c", True),
        ("duckdb", '"a"."b"."say ""hi"""', '"a"."b"."say ""hi"""', True),
        ("duckdb", '"a"."b.c"."d"', '"a.b"."c"."d"', False),
    ],
)
def test_relations_compare_as_the_warehouse_compares_names(
    adapter: str, first: str, second: str, same: bool
) -> None:
    one = relation_identity(_node(relation_name=first), adapter)
    other = relation_identity(_node(relation_name=second), adapter)

    assert (one == other) is same


def test_without_relation_name_the_fields_are_the_relation() -> None:
    node = _node(database="db", schema="raw", identifier="orders")

    assert relation_identity(node, "postgres") == ("db", "raw", "orders")


def test_a_seed_feeding_a_source_is_one_asset_built_by_the_step(tmp_path: Path) -> None:
    defs = _defs(_seeded(), tmp_path, lifecycle=True)
    graph = defs.resolve_asset_graph()

    assert set(graph.get_all_asset_keys()) == {
        RAW,
        AssetKey(["warehouse", "main", "stg_customers"]),
    }
    seed = graph.get(RAW)
    assert seed.is_materializable
    assert seed.metadata["dbt/unique_id"] == "seed.shop.raw_customers"
    assert seed.metadata["dbt/sources"] == [SOURCE]
    # Lineage runs through the seed; both tests are checks on it.
    assert graph.get(AssetKey(["warehouse", "main", "stg_customers"])).parent_keys == {RAW}
    assert {check.asset_key for check in graph.asset_check_keys} == {RAW}
    assert len(graph.asset_check_keys) == 2


def test_without_lifecycle_the_seed_is_one_external_asset_and_its_tests_run_on_readers(
    tmp_path: Path,
) -> None:
    defs = _defs(_seeded(), tmp_path, lifecycle=False)
    graph = defs.resolve_asset_graph()

    assert not graph.get(RAW).is_materializable
    staging = AssetKey(["warehouse", "main", "stg_customers"])
    assert {check.asset_key for check in graph.asset_check_keys} == {staging}
    assert len(graph.asset_check_keys) == 2


def test_sources_on_one_table_are_one_asset() -> None:
    manifest = _project(
        model_node("a", ["source.shop.raw.customers"]),
        model_node("b", ["source.shop.crm.customers"]),
        sources=[
            _source(),
            _source(unique_id="source.shop.crm.customers", fqn=["shop", "crm", "customers"]),
        ],
    )

    (source,) = [node for node in read_dbt_graph(manifest) if node.resource_type == "source"]

    assert source.unique_id == "source.shop.crm.customers"  # the first by id stands for both
    assert source.sources == ("source.shop.raw.customers",)


@pytest.mark.parametrize("order", [1, -1])
def test_two_nodes_building_one_relation_are_refused_in_sorted_order(order: int) -> None:
    seeds = [_seed("raw_customers"), _seed("customers_copy")][::order]

    with pytest.raises(DBTConfigurationError) as raised:
        read_dbt_graph(_project(*seeds))

    assert str(raised.value).startswith(
        "dbt nodes seed.shop.customers_copy and seed.shop.raw_customers both build the relation"
    )


def _snapshot(defs: Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    return {
        "assets": {
            key: (
                graph.get(key).is_materializable,
                frozenset(graph.get(key).parent_keys),
                tuple(sorted((k, str(v)) for k, v in graph.get(key).metadata.items())),
            )
            for key in graph.get_all_asset_keys()
        },
        "checks": frozenset(graph.asset_check_keys),
    }


@settings(max_examples=25, derandomize=True, deadline=None)
@given(data=st.data())
def test_the_definitions_are_the_same_whatever_the_manifest_order(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("order")
    manifest = _project(
        _seed(),
        seed_node("countries"),
        model_node("stg_customers", [SOURCE]),
        model_node("report", ["stg_customers", "seed.shop.countries"]),
        dbt_test_node("source_not_null_raw_customers_id", [SOURCE]),
        dbt_test_node("relationships_report", ["report", SOURCE], attached="report"),
        sources=[_source(), _source("orders"), _source("accounts", schema="crm")],
    )
    expected = _snapshot(_defs(manifest, tmp_path, lifecycle=True))
    nodes = data.draw(st.permutations(list(manifest["nodes"].items())), label="nodes")
    sources = data.draw(st.permutations(list(manifest["sources"].items())), label="sources")
    shuffled = {**manifest, "nodes": dict(nodes), "sources": dict(sources)}

    assert _snapshot(_defs(shuffled, tmp_path, lifecycle=True)) == expected


@pytest.mark.parametrize("relation_name", ['"db"."raw', '"db"x."raw"', "db.raw."])
def test_a_relation_name_that_does_not_parse_falls_back_to_the_fields(relation_name: str) -> None:
    node = _node(relation_name=relation_name, database="db", schema="raw", identifier="t")

    assert relation_identity(node, "postgres") == ("db", "raw", "t")
