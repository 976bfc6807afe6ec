"""Exact selectors: each node's selection expression matches that node and nothing else (no dbt).

The same cases run through real dbt in ``test_dagster_local_runtime.py``
(the directory named like a model); here every rule is checked on
hand-made manifests, with dbt's matching rules as ``selection.py`` states them.
"""

from __future__ import annotations

import pytest
from dagster_fakes import dbt_test_node, manifest_of, model_node
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import selector_members
from floe_dagster import ExactSelector
from floe_dagster.dbt_matching import as_pattern, fqn_selects
from floe_dagster.selection import union_selector


def test_a_model_is_selected_by_its_fqn() -> None:
    manifest = manifest_of(model_node("orders", path=["marts"]), model_node("customers"))

    selectors = ExactSelector(manifest)

    assert selectors.for_node("model.shop.orders") == "fqn:shop.marts.orders"
    assert selectors.for_node("model.shop.customers") == "fqn:shop.customers"


def test_a_directory_named_like_a_model_adds_the_file_name() -> None:
    # fqn:shop.marts.finance is a prefix of shop.marts.finance.revenue: dbt would run both.
    manifest = manifest_of(
        model_node("finance", path=["marts"]), model_node("revenue", path=["marts", "finance"])
    )

    selectors = ExactSelector(manifest)

    assert selectors.for_node("model.shop.finance") == "fqn:shop.marts.finance,file:finance.sql"
    assert selectors.for_node("model.shop.revenue") == "fqn:shop.marts.finance.revenue"


def test_a_package_whose_directory_is_named_like_a_project_path_is_told_apart() -> None:
    # dbt also matches the fqn without its package: other.shop.orders matches fqn:shop.orders.
    manifest = manifest_of(
        model_node("orders"), model_node("orders", package="other", path=["shop"])
    )

    selectors = ExactSelector(manifest)

    # Both files are orders.sql: the package tells them apart.
    assert selectors.for_node("model.shop.orders") == "fqn:shop.orders,package:shop"
    assert selectors.for_node("model.other.orders") == "fqn:other.shop.orders"


def test_a_path_that_is_not_selector_syntax_falls_back_to_the_name() -> None:
    # The literal name comes before a pattern for the whole fqn.
    manifest = manifest_of(model_node("orders", path=["my marts"]))

    assert ExactSelector(manifest).for_node("model.shop.orders") == "fqn:orders"


def test_a_versioned_model_selects_its_version() -> None:
    manifest = manifest_of(
        model_node(
            "orders", unique_id="model.shop.orders.v1", version=1, fqn=["shop", "orders", "v1"]
        ),
        model_node(
            "orders", unique_id="model.shop.orders.v2", version=2, fqn=["shop", "orders", "v2"]
        ),
    )

    selectors = ExactSelector(manifest)

    assert selectors.for_node("model.shop.orders.v2") == "fqn:shop.orders.v2"
    assert selectors.for_node("model.shop.orders.v1") == "fqn:shop.orders.v1"


def test_a_node_that_cannot_be_told_apart_is_an_error_naming_both() -> None:
    # Same fqn prefix, same file name, and the name is shared with another package.
    manifest = manifest_of(
        model_node("finance", path=["marts"]),
        model_node("finance", path=["marts", "finance"], unique_id="model.shop.finance_2"),
    )

    with pytest.raises(DBTConfigurationError) as raised:
        ExactSelector(manifest).for_node("model.shop.finance")

    message = str(raised.value)
    assert "model.shop.finance cannot be selected on its own" in message
    assert "model.shop.finance_2" in message
    assert "rename" in message


def test_a_test_is_not_selected_through_a_model_of_the_same_path() -> None:
    # dbt test --select <a model> runs that model's tests too (indirect selection).
    manifest = manifest_of(
        model_node("orders"),
        dbt_test_node("orders", ["orders"], fqn=["shop", "orders"]),
    )

    selector = ExactSelector(manifest).for_node("test.shop.orders.0a1b2c")

    assert selector == "fqn:shop.orders,resource_type:test"


def test_selectors_are_floe_selector_syntax() -> None:
    manifest = manifest_of(
        model_node("finance", path=["marts"]),
        model_node("revenue", path=["marts", "finance"]),
        dbt_test_node("not_null_finance_id", ["finance"], attached="finance"),
    )
    selectors = ExactSelector(manifest)

    for unique_id in manifest["nodes"]:
        assert selector_members(selectors.for_node(unique_id), field="select")


def test_ephemeral_models_are_not_part_of_every_model() -> None:
    manifest = manifest_of(
        model_node("orders"), model_node("inline", config={"materialized": "ephemeral"})
    )

    assert ExactSelector(manifest).everything("model") == {"model.shop.orders"}


def test_union_is_every_member_or_the_resource_type_for_all() -> None:
    selectors = {"a": "fqn:p.a", "b": "fqn:p.b", "c": "fqn:p.c", "u": "fqn:p.c.u"}
    everything = {"seed": frozenset({"a", "b", "c"}), "unit_test": frozenset({"u"})}

    assert union_selector(["b", "a"], selectors, everything=everything, kinds=["seed"]) == (
        "fqn:p.a fqn:p.b"
    )
    assert union_selector(everything["seed"], selectors, everything=everything, kinds=["seed"]) == (
        "resource_type:seed"
    )
    # A whole kind is its resource type, the rest are members.
    both = ["test", "unit_test"]
    assert union_selector(["a", "u"], selectors, everything=everything, kinds=both) == (
        "resource_type:unit_test fqn:p.a"
    )


# dbt's matching, restated in floe_dagster.dbt_matching, against dbt-core's own.
_PART = st.text(st.sampled_from("ab.?*_+é "), min_size=1, max_size=4)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    # A versioned fqn ends <name>.v<N> after its package: three parts at least.
    fqn=st.lists(_PART, min_size=3, max_size=5),
    value=st.lists(_PART, min_size=1, max_size=4).map(".".join),
    versioned=st.booleans(),
)
def test_fqn_matching_is_dbts(fqn: list[str], value: str, versioned: bool) -> None:
    from dbt.graph.selector_methods import is_selected_node

    expected = is_selected_node(fqn, value, versioned) or is_selected_node(
        fqn[1:], value, versioned
    )

    assert fqn_selects(value, fqn, versioned=versioned) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("a+b", "a+b"), ("a+1", "a?1"), ("x+", "x?"), ("a b,c", "a?b?c"), ("café", "caf?")],
)
def test_what_selector_syntax_cannot_spell_is_a_question_mark(text: str, value: str) -> None:
    assert as_pattern(text) == value
