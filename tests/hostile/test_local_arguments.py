"""Audit of the rest of the user text that becomes a dbt argument in the local runtime.

Selectors and targets are checked by ``floe_core.selectors`` (row 1,
``test_flag_injection.py``). The rest:

* ``project_dir`` / ``profiles_dir`` reach dbt as absolute paths, one argument
  each: a directory named like a flag stays a directory.
* ``vars`` reach dbt as one ``--vars`` document, which dbt reads as YAML 1.1.
  Plain JSON was not read back as given: ``1e+16`` became the *string*
  ``"1e+16"`` and a character beyond the BMP (an emoji) was a syntax error.
  dbt's own reader is the oracle here: every JSON value reads back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dbt.config.utils import parse_cli_vars
from floe_dbt_compliance.projects import copy_project
from hypothesis import example, given, settings
from hypothesis import strategies as st
from json_values import json_values

from floe_core.errors import DBTConfigurationError
from floe_core.selectors import vars_argument
from floe_dbt_local import LocalDBTPlugin

Query = Callable[[Path, str], list[tuple[object, ...]]]

_VALUES = json_values()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.dictionaries(st.text(min_size=1), _VALUES, min_size=1, max_size=4))
@example({"limit": 1e16})
@example({"tiny": 1e-07, "negative": [-2e300]})
@example({"emoji": "\U0001f600", "escaped": "\\ud83d\\ude00"})
@example({"delete": "\x7f", "nul": "\x00", "line separator": "\u2028", "nel": "\x85"})
@example({"bom": "\ufeff", "noncharacter": "\uffff", "k" * 1022: ["v" * 5000, {"k" * 1022: 1}]})
def test_dbt_reads_the_vars_back_exactly_as_given(values: dict[str, Any]) -> None:
    rendered = vars_argument(values)
    assert rendered is not None
    assert not rendered.startswith("-")  # never a flag
    assert parse_cli_vars(rendered) == values


def test_a_key_longer_than_dbt_reads_is_refused() -> None:
    with pytest.raises(DBTConfigurationError, match="has a key of 1023 characters"):
        vars_argument({"nested": {"k" * 1023: 1}})


@pytest.mark.parametrize("bad", ["\ud800", "a\udfffb"])
def test_text_that_is_not_unicode_is_refused_before_dbt(bad: str) -> None:
    with pytest.raises(DBTConfigurationError, match=r"vars\.x holds a lone surrogate") as raised:
        vars_argument({"x": bad})
    assert bad not in str(raised.value)
    with pytest.raises(DBTConfigurationError, match="key holding a lone surrogate"):
        vars_argument({"x": {bad: 1}})


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_paths_named_like_flags_and_awkward_vars_reach_dbt_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: Query
) -> None:
    copy = copy_project("healthy", tmp_path / "--full-refresh")
    (copy.project_dir / "models" / "probe.sql").write_text(
        "select '{{ var(\"limit\") is number }}' as limit_is_number, "
        '{{ var("limit") }} as limit_value, \'{{ var("label") }}\' as label'
    )
    monkeypatch.chdir(tmp_path)
    # Relative, starting with "--": it must stay a path, not become --full-refresh.
    relative = Path("--full-refresh") / "healthy"
    runtime = LocalDBTPlugin()
    result = runtime.run_models(relative, relative, "dev", exclude="probe")
    assert (result.models_run, result.success) == (5, True)
    args = runtime.get_run_results(relative)["args"]
    assert args["project_dir"] == str(copy.project_dir)  # absolute: a path, not a flag
    assert not args.get("full_refresh")

    probe = runtime.with_vars({"limit": 1e16, "label": "jaffle \U0001f600"})
    assert probe.run_models(relative, relative, "dev", select="probe").models_run == 1
    assert query(copy.database_path, "select * from probe") == [("True", 1e16, "jaffle \U0001f600")]
