"""dbt names become valid, unique and stable Dagster names (floe_dagster.names), no dbt run.

The load failures these replace: models ``a-b`` and ``a_b`` raised
``KeyError(AssetKey([..., 'a-b']))`` in ``definitions_from_manifest`` (both
became the output ``warehouse__main__a_b``), and ``a+b`` raised
``DagsterInvalidDefinitionError`` (not a valid name).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetCheckKey, AssetKey, AssetsDefinition, Definitions
from dagster_fakes import dbt_test_node, manifest_of, model_node
from dbt_selecting import DbtSelectingRuntime

from floe_core.errors import DBTConfigurationError
from floe_dagster import DagsterOrchestratorPlugin
from floe_dagster.names import (
    asset_keys,
    dagster_name,
    dagster_owner,
    stable_hash,
    unique_check_names,
)

VALID = re.compile(r"[A-Za-z0-9_]+")
# A key part may also hold '-' and '.', which Dagster reads as '_' where it needs a name.
KEY_PART = re.compile(r"[A-Za-z0-9_.-]+")


def _definitions(manifest: dict[str, Any], tmp_path: Path) -> tuple[Definitions, Any]:
    runtime = DbtSelectingRuntime(tmp_path, manifest)
    plugin = DagsterOrchestratorPlugin(project_dir=tmp_path)
    return plugin.build_definitions(runtime, {"manifest": manifest}), runtime


def _odd(name: str, **extra: Any) -> dict[str, Any]:
    # What dbt writes for models/<name>.sql: the relation quoted, the name as is.
    return model_node(name, relation_name=f'"warehouse"."main"."{name}"', **extra)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders", "orders"),
        ("stg_stripe__payments", "stg_stripe__payments"),
        ("1st", "1st"),
        ("a-b", "a_b_" + stable_hash("a-b")),
        ("a+b", "a_b_" + stable_hash("a+b")),
        ("café", "cafe_" + stable_hash("café")),
        ("+++", "_" + stable_hash("+++")),
        ("", "_" + stable_hash("")),
    ],
)
def test_a_name_is_kept_when_valid_else_a_stem_and_its_hash(text: str, expected: str) -> None:
    assert dagster_name(text) == expected


def test_a_long_name_keeps_a_short_stem_and_stays_distinct() -> None:
    first, second = "x-" * 100 + "a", "x-" * 100 + "b"

    assert dagster_name(first) != dagster_name(second)
    assert len(dagster_name(first)) <= 48 + 1 + 8
    assert VALID.fullmatch(dagster_name(first))
    # A long name that is already valid is left as it is.
    assert dagster_name("l" * 300) == "l" * 300


def test_a_lone_surrogate_is_hashed_not_an_encoding_error() -> None:
    assert VALID.fullmatch(dagster_name("bad\udcff"))


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("finance@example.com", "finance@example.com"),
        ("me@", "team:me@"),
        ("Data Team", "team:Data Team"),
        ("  ", None),
    ],
)
def test_owners_are_emails_or_teams(owner: str, expected: str | None) -> None:
    assert dagster_owner(owner) == expected


def test_keys_keep_dashes_and_dots_dagster_reads_as_underscores() -> None:
    keys = asset_keys({"orders": ("my-project", "analytics", "orders"), "xy": ("db", "x.y")})

    assert keys["orders"] == AssetKey(["my-project", "analytics", "orders"])
    assert keys["xy"] == AssetKey(["db", "x.y"])


def test_keys_that_dagster_would_confuse_are_told_apart() -> None:
    keys = asset_keys(
        {
            "dash": ("db", "main", "a-b"),
            "underscore": ("db", "main", "a_b"),
            "dot": ("db", "main", "a.b"),
            # "__" joins parts: ["a__b", "c"] and ["a", "b__c"] read the same.
            "left": ("a__b", "c"),
            "right": ("a", "b__c"),
        }
    )

    # The key made of names alone keeps them; the others get their relation's hash.
    assert keys["underscore"] == AssetKey(["db", "main", "a_b"])
    assert keys["dash"] == AssetKey(["db", "main", "a_b_" + stable_hash("db\0main\0a-b")])
    assert keys["dot"] == AssetKey(["db", "main", "a_b_" + stable_hash("db\0main\0a.b")])
    assert keys["left"] == AssetKey(["a__b", "c_" + stable_hash("a__b\0c")])
    assert keys["right"] == AssetKey(["a", "b__c_" + stable_hash("a\0b__c")])
    identifiers = [key.to_python_identifier() for key in keys.values()]
    assert len(set(identifiers)) == len(identifiers)
    assert all(VALID.fullmatch(identifier) for identifier in identifiers)


def test_a_key_part_dagster_cannot_take_is_a_stem_and_its_hash() -> None:
    keys = asset_keys({"odd": ("db", "odd schema", "a+b"), "keyword": ("input",)})

    assert keys["odd"] == AssetKey(["db", dagster_name("odd schema"), dagster_name("a+b")])
    # A key Dagster would name with a Python keyword is hashed too.
    assert keys["keyword"] == AssetKey(["input_" + stable_hash("input")])


def test_two_nodes_on_one_key_are_named_in_sorted_order() -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        asset_keys({"model.p.z": ("db", "main", "t"), "model.p.a": ("db", "main", "t")})

    assert str(raised.value).startswith("dbt nodes model.p.a and model.p.z both map to asset key")


def test_check_names_are_unique_on_their_asset_and_beside_the_steps_outputs() -> None:
    orders, totals = AssetKey(["db", "orders"]), AssetKey(["db", "orders_positive"])
    names = unique_check_names(
        [
            ("test.p.fresh.1", "fresh", orders),
            ("test.p.fresh.2", "fresh", orders),
            ("test.p.odd", "odd-name", orders),
            # db__orders + "_positive" is the output of the asset orders_positive.
            ("test.p.positive", "positive", orders),
            ("test.p.other", "fresh", totals),
        ],
        step_of=dict.fromkeys(["test.p.fresh.1", "test.p.fresh.2", "test.p.odd"], "s"),
        taken={orders.to_python_identifier(), totals.to_python_identifier()},
    )

    assert names["test.p.other"] == "fresh"
    assert names["test.p.fresh.1"] == "fresh_" + stable_hash("test.p.fresh.1")
    assert names["test.p.fresh.2"] == "fresh_" + stable_hash("test.p.fresh.2")
    assert names["test.p.odd"] == dagster_name("odd-name")
    assert names["test.p.positive"] == "positive_" + stable_hash("test.p.positive")
    assert all(VALID.fullmatch(name) for name in names.values())


def test_a_dash_and_an_underscore_model_load_and_materialise(tmp_path: Path) -> None:
    manifest = manifest_of(
        _odd("a-b"),
        _odd("a_b", depends_on=["model.shop.a-b"]),
        _odd("a+b"),
        dbt_test_node("not_null_a-b_id", ["a-b"], attached="a-b"),
        dbt_test_node("not_null_a_b_id", ["a_b"], attached="a_b"),
    )

    defs, runtime = _definitions(manifest, tmp_path)
    graph = defs.resolve_asset_graph()
    key = {graph.get(k).metadata["dbt/unique_id"]: k for k in graph.get_all_asset_keys()}
    dash, underscore, plus = (key[f"model.shop.{name}"] for name in ("a-b", "a_b", "a+b"))
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()

    assert result.success
    assert underscore == AssetKey(["warehouse", "main", "a_b"])
    assert len({dash, underscore, plus}) == 3
    assert all(VALID.fullmatch(part) for part in [*dash.path, *plus.path])
    built = {event.asset_key for event in result.get_asset_materialization_events()}
    assert built == {dash, underscore, plus}
    assert graph.get(underscore).parent_keys == {dash}
    checks = {event.asset_check_key for event in result.get_asset_check_evaluations()}
    assert checks == {
        AssetCheckKey(underscore, "not_null_a_b_id"),
        AssetCheckKey(dash, dagster_name("not_null_a-b_id")),
    }
    assert runtime.selected("run") == [{"a-b", "a_b", "a+b"}]


def test_names_dagster_refuses_elsewhere_become_valid_names(tmp_path: Path) -> None:
    manifest = manifest_of(
        _odd("orders", config={"materialized": "table", "group": "fin-ance", "meta": {}}),
        project_name="my-shop",
    )

    defs, _ = _definitions(manifest, tmp_path)

    (step,) = [asset for asset in defs.assets or [] if isinstance(asset, AssetsDefinition)]
    assert step.op.name == "dbt_" + dagster_name("my-shop")
    assert step.group_names_by_key[AssetKey(["warehouse", "main", "orders"])] == dagster_name(
        "fin-ance"
    )


def test_names_are_the_same_whatever_the_manifest_order(tmp_path: Path) -> None:
    nodes = [_odd("a-b"), _odd("a_b"), dbt_test_node("t-1", ["a-b"]), dbt_test_node("t_1", ["a-b"])]

    def names(ordered: list[dict[str, Any]]) -> set[Any]:
        defs, _ = _definitions(manifest_of(*ordered), tmp_path)
        graph = defs.resolve_asset_graph()
        return set(graph.get_all_asset_keys()) | set(graph.asset_check_keys)

    assert names(nodes) == names(list(reversed(nodes)))
