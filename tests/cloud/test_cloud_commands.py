"""Selectors become steps_override commands; anything that is not a dbt selector is refused."""

from __future__ import annotations

from typing import Any

import pytest

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import Selector
from floe_core.vocabulary import DbtArguments
from floe_dbt_cloud.commands import step_runs_command, steps_override
from floe_dbt_cloud_emulator.steps import parse_step


def build_step(command: str, **options: Any) -> str:
    """The one step a call sends: its checked arguments rendered once."""
    steps = steps_override(DbtArguments.of(command, **options))
    return steps[0] if steps else f"dbt {command}"


@pytest.mark.parametrize(
    ("select", "exclude", "full_refresh", "expected"),
    [
        (None, None, False, "dbt run"),
        ("customers", None, False, "dbt run --select customers"),
        (
            "tag:nightly +customers",
            "fct_orders",
            True,
            "dbt run --select tag:nightly +customers --exclude fct_orders --full-refresh",
        ),
        (
            "path:models/marts,config.materialized:table",
            None,
            False,
            "dbt run --select path:models/marts,config.materialized:table",
        ),
        (
            "2+stg_orders@ source:raw.orders*",
            None,
            False,
            "dbt run --select 2+stg_orders@ source:raw.orders*",
        ),
    ],
)
def test_build_step(
    select: str | None, exclude: str | None, full_refresh: bool, expected: str
) -> None:
    assert build_step("run", select=select, exclude=exclude, full_refresh=full_refresh) == expected


@pytest.mark.parametrize(
    "selector",
    [
        "a\nb",
        "a; rm -rf /",
        "a && b",
        "a || b",
        "a | b",
        "`whoami`",
        "$(whoami)",
        "a 'b'",
        'a "b"',
        "--full-refresh",
        "a --vars {x:1}",
        "a\tb",
        "",
        "   ",
        "a > out",
    ],
)
def test_selector_text_that_is_not_a_dbt_selector_is_refused(selector: str) -> None:
    with pytest.raises(DBTConfigurationError, match=r"select=.* is not a dbt selector"):
        build_step("run", select=selector)


def test_exclude_is_checked_too_and_named() -> None:
    with pytest.raises(DBTConfigurationError, match=r"^exclude="):
        build_step("run", exclude="x;y")


def test_double_spaces_are_tolerated() -> None:
    assert Selector("a  b").members == ("a", "b")
    assert build_step("run", select="a  b") == "dbt run --select a b"


def test_the_contract_commands_send_a_step_only_when_there_is_something_to_say() -> None:
    assert steps_override(DbtArguments.of("run")) is None
    assert steps_override(DbtArguments.of("run", full_refresh=True)) == ["dbt run --full-refresh"]
    assert steps_override(DbtArguments.of("compile", vars={"x": 1})) == [
        "dbt compile --vars '{\"x\": 1}'"
    ]
    # The lifecycle commands always do: their job is the run job unless configured.
    assert steps_override(DbtArguments.of("snapshot")) == ["dbt snapshot"]


def test_step_runs_command_reads_dbt_cloud_step_names() -> None:
    assert step_runs_command("Invoke dbt with `dbt test --select x`", "test")
    assert not step_runs_command("Invoke dbt with `dbt test`", "run")
    assert not step_runs_command("Clone Git Repository", "run")


def test_the_emulator_parses_what_the_plugin_builds() -> None:
    text = build_step("run", select="tag:a b+", exclude="c", full_refresh=True)
    command = parse_step(text)
    assert (command.command, command.select, command.exclude, command.full_refresh) == (
        "run",
        "tag:a b+",
        "c",
        True,
    )
    assert command.select is not None
    assert command.select.members == ("tag:a", "b+")
    # Parsed back into the same arguments, rendered into the same step.
    assert command.arguments.command_line() == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dbt seed --select a --exclude b --full-refresh", ("seed", "a", "b", True, {})),
        ("dbt snapshot -s snap", ("snapshot", "snap", None, False, {})),
        ('dbt build --vars \'{"d": "x y"}\' -s m+', ("build", "m+", None, False, {"d": "x y"})),
        ("dbt test --vars 'a: 1'", ("test", None, None, False, {"a": 1})),
        ("dbt compile --vars 'a: 1'", ("compile", None, None, False, {"a": 1})),
    ],
)
def test_the_emulator_parses_the_lifecycle_commands_and_vars(
    text: str, expected: tuple[object, ...]
) -> None:
    command = parse_step(text)
    parsed = (command.command, command.select, command.exclude, command.full_refresh, command.vars)
    assert parsed == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("python evil.py", "not a dbt command"),
        ("dbt docs generate", "only compile, run, test, seed, snapshot, build"),
        ("dbt run --vars", "does not support '--vars'"),
        ("dbt run --vars 'x: 1' --vars 'y: 2'", "does not support '--vars'"),
        ("dbt test --exclude a", "`dbt test` without --exclude"),
        ("dbt snapshot --full-refresh", "does not support '--full-refresh'"),
        ("dbt run --select", "needs a value"),
        ("dbt compile --select a", "without selectors"),
        ("dbt run 'unterminated", "cannot parse"),
        ("dbt run --select 'a;b'", "select='a;b' is not a dbt selector"),
        ("dbt run --vars '[1]'", "must be a YAML or JSON mapping"),
        ("dbt run --vars '{x: .nan}'", "not a finite number"),
    ],
)
def test_the_emulator_refuses_steps_it_cannot_run(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_step(text)
