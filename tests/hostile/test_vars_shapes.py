"""Hardening round 2, tracebacks: vars of any shape get a clear error on both runtimes.

Before the fix: ``with_vars()`` with about 1,000 levels of nesting, or a dict
that contains itself, raised ``RecursionError`` on both runtimes (the
renderer recursed once per level, without looking back). Vars are now
copied by a walk bounded at :data:`~floe_core.selectors.MAX_VARS_DEPTH`
levels that refuses a value containing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from json_values import json_values
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import MAX_VARS_DEPTH, merge_vars, vars_argument
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_local import LocalDBTPlugin


def _cloud() -> DBTCloudPlugin:
    return DBTCloudPlugin(
        "1",
        SecretStr("t" * 20),
        job_ids={"compile": 1, "run": 2, "test": 3},
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
    )


RUNTIMES: dict[str, Callable[[], Any]] = {"local": LocalDBTPlugin, "cloud": _cloud}


def nested(depth: int, *, as_list: bool = False) -> dict[str, Any]:
    """``{"v": {"v": ... 1}}`` (or lists inside), ``depth`` levels in all, built in a loop."""
    value: Any = 1
    for _ in range(depth - 1):
        value = [value] if as_list else {"v": value}
    return {"v": value}


def _bind(runtime: str, values: object) -> object:
    built = RUNTIMES[runtime]()
    try:
        return built.with_vars(values)
    finally:
        if hasattr(built, "close"):
            built.close()


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
@pytest.mark.parametrize("as_list", [False, True])
def test_a_thousand_levels_are_refused_with_the_place(runtime: str, as_list: bool) -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        _bind(runtime, nested(1000, as_list=as_list))
    place = "vars.v[0][0]..." if as_list else "vars.v.v.v..."
    assert str(raised.value) == (
        f"vars must hold JSON values only: {place} is nested more than {MAX_VARS_DEPTH} levels "
        "deep, deeper than dbt reads --vars"
    )


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_a_mapping_that_contains_itself_is_refused(runtime: str) -> None:
    loop: dict[str, Any] = {"name": "x"}
    loop["self"] = loop
    with pytest.raises(DBTConfigurationError) as raised:
        _bind(runtime, {"outer": [loop]})
    assert str(raised.value) == (
        "vars must hold JSON values only: vars.outer[0].self contains itself, which no JSON "
        "document can hold"
    )


def test_the_same_value_twice_is_not_a_loop() -> None:
    shared = {"a": 1}
    assert merge_vars({}, {"x": shared, "y": [shared, shared]}) == {
        "x": {"a": 1},
        "y": [{"a": 1}, {"a": 1}],
    }


# -- any shape: accepted and read back by dbt's reader, or refused clearly ----------

_VALUES = json_values(max_size=3, max_leaves=20)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(value=_VALUES, depth=st.integers(min_value=1, max_value=3 * MAX_VARS_DEPTH))
def test_any_depth_is_read_back_by_dbt_or_refused(value: Any, depth: int) -> None:
    wrapped: Any = value
    for _ in range(depth - 1):
        wrapped = {"v": wrapped}
    values = {"v": wrapped}
    levels = depth + _depth(value)
    if levels > MAX_VARS_DEPTH:
        with pytest.raises(DBTConfigurationError, match="levels deep, deeper than dbt reads"):
            vars_argument(values)
        return
    try:
        rendered = vars_argument(values)
    except DBTConfigurationError as exc:  # text that is not Unicode: the only other refusal
        assert "lone surrogate" in str(exc), str(exc)  # noqa: PT017
        return
    assert rendered is not None
    assert yaml.safe_load(rendered) == yaml.safe_load(vars_argument(merge_vars({}, values)) or "")


def _depth(value: Any) -> int:
    """How many mappings and lists are nested in ``value`` at its deepest (0 for a scalar)."""
    pending, deepest = [(value, 0)], 0
    while pending:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level + 1)
            children = item.values() if isinstance(item, dict) else item
            pending += [(child, level + 1) for child in children]
    return deepest
