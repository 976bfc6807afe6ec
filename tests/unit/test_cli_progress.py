"""What `floe run` prints while a runtime works: dbt's lines, levels, colours, the failures.

The runtime here (``narrating-floe``, put on sys.path) is no dbt at all: it
logs dbt's events as :mod:`floe_core.events` records, as a remote runtime
that only sees a log would, and writes a ``run_results.json`` with a failure.
The command renders any runtime's records the same way (the local runtime's
real dbt output: tests/local/test_local_cli_progress.py).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from floe_core._console import _wants_colour
from floe_core.cli import main

_STAMP = re.compile(r"^\d\d:\d\d:\d\d  ", re.M)


@pytest.fixture
def narrating(narrating_dist: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (narrating_dist / "manifest.yaml").write_text("plugins:\n  dbt_runtime: narrating\n")
    (narrating_dist / "profiles.yml").touch()
    monkeypatch.delenv("NO_COLOR", raising=False)
    return narrating_dist


def floe_run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["run", "--project-dir", ".", *args], env=env)


def test_one_line_per_event_as_dbt_prints_them_then_the_failing_nodes(narrating: Path) -> None:
    result = floe_run()
    assert result.exit_code == 1, result.output
    progress, _, summary = result.stdout.partition("dbt run (narrating) FAILED")
    assert _STAMP.sub("", progress).splitlines() == [
        "warn: dbt Cloud answered 503; retrying in 2 s",
        "Running with dbt=1.11.0",
        "1 of 2 START sql table model main.orders ...... [RUN]",
        "1 of 2 OK created sql table model main.orders ...... [OK in 0.10s]",
        "2 of 2 START sql table model main.customers ...... [RUN]",
        "2 of 2 ERROR creating sql table model main.customers ...... [ERROR in 0.10s]",
        "Completed with 1 error, 0 partial successes, and 0 warnings:",
    ]
    assert len(_STAMP.findall(progress)) == 7  # dbt's time prefix on each
    # The failing node and dbt's message, from run_results.json, dbt's caret kept in its column.
    assert summary.splitlines()[3:] == [
        "1 failing node(s):",
        "  ERROR model.shop.customers: Database Error in model customers",
        "      Table raw_customers does not exist",
        "      LINE 3: from raw_customers",
        "                 ^",
    ]
    assert "\x1b[" not in result.output  # not a terminal: no colour
    assert "HTTP Request" not in result.output  # a library's INFO is not dbt's progress


def test_log_level_and_quiet_choose_the_lines(narrating: Path) -> None:
    debug = floe_run("--log-level", "debug")
    assert "select 1 -- a debug event" in debug.stdout
    assert "info: HTTP Request: GET /runs/1 200" in debug.stdout
    quiet = floe_run("--quiet")
    lines = _STAMP.sub("", quiet.stdout.partition("dbt run")[0]).splitlines()
    assert lines == ["2 of 2 ERROR creating sql table model main.customers ...... [ERROR in 0.10s]"]
    warn = floe_run("--log-level", "WARN")
    assert _STAMP.sub("", warn.stdout.partition("dbt run")[0]).splitlines() == [
        "warn: dbt Cloud answered 503; retrying in 2 s",
        "2 of 2 ERROR creating sql table model main.customers ...... [ERROR in 0.10s]",
    ]
    silent = floe_run("--log-level", "none")
    assert silent.stdout.startswith("dbt run (narrating) FAILED")
    assert "1 failing node(s):" in silent.stdout  # the result is always printed


def test_json_keeps_stdout_for_the_result(narrating: Path) -> None:
    result = floe_run("--json")
    assert json.loads(result.stdout)["failures"] == 1
    assert "2 of 2 ERROR creating" in result.stderr


def test_dbt_colours_on_request_and_none_with_no_color(narrating: Path) -> None:
    coloured = floe_run("--use-colors").stdout
    assert "[\x1b[32mOK\x1b[0m in 0.10s]" in coloured  # green status, as dbt's
    assert "[\x1b[31mERROR\x1b[0m in 0.10s]" in coloured  # red
    assert "\x1b[31mCompleted with 1 error" in coloured
    assert "\x1b[33mwarn\x1b[0m: dbt Cloud answered 503" in coloured
    assert "  \x1b[31mERROR\x1b[0m model.shop.customers" in coloured
    assert "START sql table model main.orders ...... [RUN]" in coloured  # a start is plain
    assert "\x1b[" not in floe_run("--no-use-colors").stdout


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_colour_by_default_on_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert _wants_colour(None, err=False) is True
    assert _wants_colour(False, err=False) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _wants_colour(None, err=False) is False
    assert _wants_colour(True, err=False) is True  # asked for on the command line
    monkeypatch.delenv("NO_COLOR")
    assert _wants_colour(None, err=True) is False  # stderr is not the terminal here


def test_logging_is_left_as_it_was(narrating: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    floe_run("--log-level", "debug")
    assert (root.handlers, root.level) == (handlers, level)
