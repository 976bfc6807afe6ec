"""Vars cross every process boundary as one text: DbtVars.render, read back by DbtVars.parse.

On the path Dagster -> cloud -> emulator -> local -> dbt, and on the kit's
oracle, vars are checked once into a :class:`DbtVars`, rendered by
:meth:`DbtVars.render` and read on the other side by :meth:`DbtVars.parse`
(the emulator) or by dbt itself; every side sends the same document. Both readers
must give back exactly the value the checker accepted: the same types (a
float stays a float, ``"1e+16"`` and ``"2024-01-01"`` stay text), the same
numbers, the same text. dbt's own reader is the oracle
(``dbt.config.utils.parse_cli_vars``, what ``dbt --vars`` calls).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from dbt.config.utils import parse_cli_vars
from floe_dbt_compliance.oracle.worker import dbt_arguments
from hypothesis import example, given, settings
from hypothesis import strategies as st
from json_values import SCALARS
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import MAX_VARS_DEPTH, DbtVars
from floe_core.vocabulary import DbtArguments
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.commands import steps_override
from floe_dbt_cloud_emulator.steps import parse_step
from floe_dbt_local import LocalDBTPlugin
from floe_dbt_local.invocation import Call

# Text YAML 1.1 would read as something else if it were written bare.
LOOKALIKES = [
    "1e+16",
    "1e16",
    "1.5E-3",
    "0x1F",
    "012",
    "0o17",
    "1_000",
    "1:30",
    "+1",
    "-0",
    ".5",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "true",
    "False",
    "yes",
    "no",
    "on",
    "OFF",
    "y",
    "null",
    "Null",
    "~",
    "",
    ".inf",
    "-.Inf",
    ".nan",
    "NaN",
    "- item",
    "key: value",
    "[1, 2]",
    "{a: 1}",
    "'quoted'",
    '"double"',
    "#comment",
    "&anchor",
    "*alias",
    "!!str tagged",
    "<<",
    "=",
    "%YAML",
    "@at",
    "`tick`",
    "| block",
    "> folded",
    "? key",
    " leading",
    "trailing ",
    "\t",
    "\\",
    "\x00\x07\x1b\x7f\x85\x9f\u2028\u2029\ufeff\ufffe\uffff",
    "\U0001f600 caf\u00e9 \u4e2d\u6587",
]
_TEXT = st.sampled_from(LOOKALIKES) | st.text()
# Python converts ints of at most 4300 digits to text and back (sys.get_int_max_str_digits).
_BIG = 10**4300 - 1
_NUMBERS = (
    st.integers(min_value=-_BIG, max_value=_BIG)
    | st.sampled_from(
        [2**63, -(2**63) - 1, 10**20, 1e16, 1e-7, -0.0, 5e-324, 1.7976931348623157e308]
    )
    | st.floats(allow_nan=False, allow_infinity=False)
)
_LEAVES = SCALARS | _TEXT | _NUMBERS | st.builds(SecretStr, _TEXT)
_KEYS = st.sampled_from(LOOKALIKES).filter(bool) | st.text(min_size=1)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=24,
)
_VARS = st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=5)


def typed(value: Any) -> Any:
    """``value`` with every scalar tagged by its type: ``1 == 1.0 == True`` no longer holds.

    Secret vars compare by their value (both readers see it in clear).
    """
    if isinstance(value, SecretStr):
        return typed(value.get_secret_value())
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, float):
        return ("float", value.hex())  # -0.0 and 0.0 differ, every bit counts
    return (type(value).__name__, value)


def _accepted(values: dict[str, Any]) -> DbtVars | None:
    try:
        return DbtVars(values)
    except DBTConfigurationError:
        return None


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_VARS)
@example({"limit": 1e16, "tiny": 1e-7, "big": 10**40, "negative": -0.0})
@example({"since": "2024-01-01", "flag": "true", "none": "null", "exp": "1e+16", "oct": "012"})
@example({"emoji": "\U0001f600", "escaped": "\\ud83d\\ude00", "nel": "\x85"})
@example({"k" * 1022: ["v" * 5000, {"k" * 1022: 1}]})
@example({"api_key": SecretStr("s3cr3t: 1e+16"), "nested": [{"token": SecretStr("yes")}]})
def test_render_then_parse_is_the_identity_and_dbt_reads_the_same(values: dict[str, Any]) -> None:
    checked = _accepted(values)
    if checked is None:
        return  # refused with a message: tests/hostile/test_vars_shapes.py
    rendered = checked.render()
    assert not rendered.startswith("-")  # never a flag
    expected = typed(values)
    # floe's reader (the emulator's, `floe --vars`'s) gives back exactly what was accepted ...
    assert typed(dict(DbtVars.parse(rendered))) == expected
    # ... and so does dbt's own, which is what every runtime's dbt reads.
    assert typed(parse_cli_vars(rendered)) == expected


@settings(max_examples=100, derandomize=True, deadline=None)
@given(_VARS, _VARS)
def test_merging_renders_what_rendering_the_merged_mapping_would(
    bound: dict[str, Any], called: dict[str, Any]
) -> None:
    first, second = _accepted(bound), _accepted(called)
    if first is None or second is None:
        return
    merged = first.merged(second)
    # Merging renders nothing again; the text is still the one document of the merged value.
    assert merged.render() == DbtVars({**bound, **called}).render()
    assert typed(parse_cli_vars(merged.render())) == typed({**bound, **called})


def test_every_accepted_depth_reads_back() -> None:
    value: Any = 1e16
    for _ in range(MAX_VARS_DEPTH - 1):
        value = {"v": value}
    checked = DbtVars({"v": value})
    assert typed(parse_cli_vars(checked.render())) == typed({"v": value})
    assert DbtVars.parse(checked.render()) == checked


def test_a_value_checked_once_is_passed_on_as_it_is() -> None:
    checked = DbtVars({"region": "eu", "api_key": SecretStr("s3cr3t")})
    assert DbtVars.of(checked) is checked
    assert DbtVars.EMPTY.merged(checked) is checked
    assert checked.merged(None) is checked
    assert checked.merged({}) is checked
    # A secret var is in the rendered text (dbt needs it), never in the repr.
    assert "s3cr3t" in checked.render()
    assert repr(checked) == "DbtVars(['api_key', 'region'])"
    assert checked.secrets == ("s3cr3t",)


def test_the_json_dumps_rendering_dbt_misreads_is_not_what_is_sent() -> None:
    # What the kit's oracle used to send: json.dumps writes 1e+16, which YAML 1.1 reads as text.
    assert parse_cli_vars('{"limit": 1e+16}') == {"limit": "1e+16"}
    assert parse_cli_vars(DbtVars({"limit": 1e16}).render()) == {"limit": 1e16}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must be a YAML or JSON mapping of variable names to values"),
        ("{a: 1", "not a YAML or JSON mapping: "),
        ("{a: 1, a: 2}", "not a YAML or JSON mapping: key 'a' is given twice"),
        ("{x: .nan}", "vars must hold JSON values only: vars.x is nan, not a finite number"),
    ],
)
def test_text_that_is_not_vars_is_refused_when_parsed(text: str, message: str) -> None:
    with pytest.raises(DBTConfigurationError, match=message.replace(".", r"\.")):
        DbtVars.parse(text)


def test_an_empty_document_is_no_vars() -> None:
    assert DbtVars.parse("") is DbtVars.EMPTY
    assert DbtVars.parse("{}") == {}
    assert DbtVars.parse("{}").render() == "{}"


def _local_vars_document(arguments: DbtArguments) -> str:
    args = Call(arguments, Path("/p"), Path("/p"), "dev").args()
    return args[args.index("--vars") + 1]


@settings(max_examples=150, derandomize=True, deadline=None)
@given(_VARS)
@example({"limit": 1e16, "api_key": SecretStr("s3cr3t"), "since": "2024-01-01"})
def test_every_side_of_every_boundary_sends_the_one_rendering(values: dict[str, Any]) -> None:
    """local, cloud -> emulator -> local, and the kit's oracle: the same --vars, byte for byte."""
    checked = _accepted(values)
    if checked is None:
        return
    rendered = checked.render()
    arguments = DbtArguments.of("build", select="orders", vars=values)
    # The local runtime's dbt command line.
    assert _local_vars_document(arguments) == rendered
    # The cloud runtime's job step, as dbt Cloud splits it ...
    (step_text,) = steps_override(arguments) or [""]
    words = shlex.split(step_text)
    assert words[words.index("--vars") + 1] == rendered
    # ... read back by the emulator, whose local runtime renders it again for dbt.
    parsed = parse_step(step_text).arguments
    assert parsed.vars.render() == rendered
    assert _local_vars_document(parsed) == rendered
    # The kit's oracle: plain dbt-core gets the very same document.
    oracle = dbt_arguments("build", Path("/p"), Path("/p"), "dev", {"vars": values}, None)
    assert oracle[oracle.index("--vars") + 1] == rendered


def test_the_oracle_merges_a_call_s_vars_over_the_bound_ones_as_the_runtimes_do() -> None:
    bound = {"region": "us", "min_amount": 50, "limit": 1e16}
    oracle = dbt_arguments("seed", Path("/p"), Path("/p"), "dev", {"vars": {"region": "eu"}}, bound)
    runtime = LocalDBTPlugin().with_vars(bound)
    expected = DbtVars(bound).merged({"region": "eu"}).render()
    assert (
        oracle[oracle.index("--vars") + 1]
        == expected
        == ('{"region": "eu", "min_amount": 50, "limit": 1.0e+16}')
    )
    assert runtime._vars.merged({"region": "eu"}).render() == expected


def test_a_checked_value_bound_to_a_runtime_is_the_value_it_sends() -> None:
    checked = DbtVars({"region": "eu", "limit": 1e16})
    assert LocalDBTPlugin().with_vars(checked)._vars is checked
    cloud = DBTCloudPlugin(
        "1", SecretStr("t" * 20), job_ids={"compile": 1, "run": 2, "test": 3}
    ).with_vars(checked)
    try:
        assert cloud._vars is checked
    finally:
        cloud.close()
