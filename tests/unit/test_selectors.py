"""floe_core.selectors: what user text may become part of a dbt command line."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import selector_members, validate_selector, validate_target, vars_argument

MEMBER_ALPHABET = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:+*?@,/-"
)
MEMBERS = st.text(MEMBER_ALPHABET, min_size=1, max_size=20).filter(lambda m: not m.startswith("-"))


@pytest.mark.parametrize(
    ("selector", "members"),
    [
        ("customers", ["customers"]),
        ("+customers stg_orders", ["+customers", "stg_orders"]),
        ("tag:nightly,config.materialized:view", ["tag:nightly,config.materialized:view"]),
        (
            "path:models/staging/* @fct_orders 2+x+3",
            ["path:models/staging/*", "@fct_orders", "2+x+3"],
        ),
        ("source:raw.orders+ stg_?", ["source:raw.orders+", "stg_?"]),
        ("a  b", ["a", "b"]),
        ("my-model", ["my-model"]),
    ],
)
def test_selectors_are_split_into_their_union_members(selector: str, members: list[str]) -> None:
    assert selector_members(selector, field="select") == members
    assert validate_selector(selector, field="select") == selector


@pytest.mark.parametrize(
    ("selector", "named"),
    [
        ("fct_orders --target prod", "'--target'"),
        ("x --empty", "'--empty'"),
        ("x --full-refresh", "'--full-refresh'"),
        ("-s x", "'-s'"),
        ("a\nb", "'a\\nb'"),
        ("a\tb", "'a\\tb'"),
        ("a 'b'", "\"'b'\""),
        ("$(whoami)", "'$(whoami)'"),
        ("a;b", "'a;b'"),
        ("", "it is empty"),
        ("   ", "it is empty"),
    ],
)
def test_anything_else_is_refused_naming_the_token(selector: str, named: str) -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        selector_members(selector, field="exclude")
    assert str(raised.value).startswith("exclude=")
    assert named in str(raised.value)


def test_a_flag_is_called_a_flag() -> None:
    with pytest.raises(DBTConfigurationError, match="a dbt flag cannot be passed through"):
        selector_members("x --target prod", field="select")


def test_none_means_everything_and_non_strings_are_refused() -> None:
    assert validate_selector(None, field="select") is None
    with pytest.raises(DBTConfigurationError, match="must be a dbt selector string"):
        selector_members(["a", "b"], field="select")  # type: ignore[arg-type]


def test_a_long_selector_is_shortened_in_the_message() -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        selector_members("x" * 500 + " --empty", field="select")
    assert len(str(raised.value)) < 400


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(MEMBERS, min_size=1, max_size=6))
def test_any_well_formed_selector_round_trips(members: list[str]) -> None:
    assert selector_members(" ".join(members), field="select") == members


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.lists(MEMBERS, max_size=3), st.text(min_size=1, max_size=12), st.lists(MEMBERS, max_size=3)
)
@example([], "--target", ["prod"])
def test_no_member_that_starts_with_a_dash_ever_passes(
    before: list[str], flag: str, after: list[str]
) -> None:
    hostile = " ".join([*before, "-" + flag.replace(" ", ""), *after])
    with pytest.raises(DBTConfigurationError):
        selector_members(hostile, field="select")


@pytest.mark.parametrize("target", ["dev", "prod_eu", "ci-2", "a.b"])
def test_targets_that_are_names_pass(target: str) -> None:
    assert validate_target(target) == target


@pytest.mark.parametrize("target", ["", "-t", "--full-refresh", "dev prod", "dev\n", ".hidden", 3])
def test_targets_that_are_not_names_are_refused(target: object) -> None:
    with pytest.raises(DBTConfigurationError, match=r"^target=.* is not a profile target name"):
        validate_target(target)  # type: ignore[arg-type]


def test_vars_become_one_json_document() -> None:
    rendered = vars_argument({"since": "2024-01-01", "n": 3, "nested": {"a": [1, 2.5, None]}})
    assert rendered is not None
    assert json.loads(rendered) == {"since": "2024-01-01", "n": 3, "nested": {"a": [1, 2.5, None]}}
    assert vars_argument(None) is None
    assert vars_argument({}) == "{}"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("a: 1", "must be a mapping"),
        ({1: "x"}, "keys must be non-empty strings"),
        ({"": "x"}, "keys must be non-empty strings"),
        ({"x": float("nan")}, "not a finite number"),
        ({"x": {"y": object()}}, r"vars\.x\.y is a object"),
        ({"x": {1: 2}}, "non-string key"),
    ],
)
def test_vars_that_are_not_json_are_refused(values: object, message: str) -> None:
    with pytest.raises(DBTConfigurationError, match=message):
        vars_argument(values)  # type: ignore[arg-type]
