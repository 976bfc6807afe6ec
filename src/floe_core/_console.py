"""Private: what the ``floe`` command prints while dbt runs, as dbt's console prints it.

Use the command, not this module; its functions may change in any release.

The runtime logs dbt's events as records (:mod:`floe_core.events`); while a
command runs, one handler on the root logger prints them: dbt's message with
dbt's time prefix, its status words in dbt's colours on a terminal. Any other
record (a library's warning, a runtime's retry) is printed as
``warning: ...`` / ``error: ...``, never through logging's bare fallback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from floe_core.artifacts import NodeFailure
from floe_core.events import DbtEvent, event_of

__all__ = ["LOG_LEVELS", "Console", "console", "output_options"]

#: ``--log-level`` choices, as dbt names them, and the records each shows.
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "none": logging.CRITICAL + 1,
}
_META_KEY = "floe_console"
_GREEN, _RED, _YELLOW = "green", "red", "yellow"
_STATUS_COLOURS = {
    "success": _GREEN,
    "pass": _GREEN,
    "error": _RED,
    "fail": _RED,
    "runtime error": _RED,
    "warn": _YELLOW,
    "skipped": _YELLOW,
}
# dbt's result line: "3 of 12 OK created sql table model main.orders .... [OK in 0.41s]";
# dbt colours the status in the brackets.
_BRACKET = re.compile(r"\[(\S+)(?=[^\[]*\]\s*$)")
_MESSAGE_LINES = 12


@dataclass(frozen=True)
class Console:
    """Where and how the command prints.

    Attributes:
        level: The lowest level of dbt's events printed (``--log-level``, ``--quiet``).
        colour: Whether to print dbt's colours.
        err: Progress goes to stderr (``--json`` keeps stdout for the result).
    """

    level: int = logging.INFO
    colour: bool = False
    err: bool = False

    def echo(self, text: str, *, err: bool | None = None) -> None:
        """Print one line (with its colour codes only when colour is on)."""
        click.echo(text, err=self.err if err is None else err, color=self.colour)

    def style(self, text: str, colour: str | None) -> str:
        """``text`` in ``colour`` when colours are on."""
        return click.style(text, fg=colour) if self.colour and colour else text

    def failures(self, failures: list[NodeFailure]) -> None:
        """The failing nodes of a result, each with dbt's message (on every runtime)."""
        if not failures:
            return
        self.echo(f"{len(failures)} failing node(s):", err=False)
        for failure in failures:
            label = self.style(failure.status.upper(), _STATUS_COLOURS.get(failure.status))
            first, _, rest = (failure.message or "(dbt gave no message)").partition("\n")
            self.echo(f"  {label} {failure.unique_id}: {first.strip()}", err=False)
            # Dedented, not stripped: dbt's "^^^" under a SQL line keeps its column.
            lines = [line.rstrip() for line in textwrap.dedent(rest).splitlines()]
            lines = [line for line in lines if line]
            for line in lines[:_MESSAGE_LINES]:
                self.echo(f"      {line}", err=False)
            if len(lines) > _MESSAGE_LINES:
                self.echo(f"      ... ({len(lines) - _MESSAGE_LINES} more line(s))", err=False)


class _Handler(logging.Handler):
    """Prints dbt's events at or above the chosen level, other records from WARNING up."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.DEBUG)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = event_of(record)
            if record.levelno < self.console.level:
                return
            if event is not None:
                line = self._dbt_line(event)
            elif record.levelno >= logging.WARNING or self.console.level <= logging.DEBUG:
                name = record.levelname.lower().replace("warning", "warn")
                line = f"{self.console.style(name, _level_colour(record.levelno))}: "
                line += record.getMessage()
            else:
                return
            stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
            self.console.echo(f"{stamp}  {line}")
        except Exception:
            self.handleError(record)

    def _dbt_line(self, event: DbtEvent) -> str:
        style = self.console.style
        if event.node_status in _STATUS_COLOURS and event.name != "LogStartLine":
            colour = _STATUS_COLOURS[event.node_status]
            return _BRACKET.sub(lambda match: "[" + style(match.group(1), colour), event.message)
        if event.name == "EndOfRunSummary":
            return style(event.message, _summary_colour(event.message))
        return style(event.message, _level_colour(event.logging_level))


def _level_colour(level: int) -> str | None:
    if level >= logging.ERROR:
        return _RED
    return _YELLOW if level >= logging.WARNING else None


def _summary_colour(message: str) -> str:
    if "successfully" in message:
        return _GREEN
    return _RED if re.search(r"\b[1-9]\d* error", message) else _YELLOW


def _wants_colour(given: bool | None, err: bool) -> bool:
    """``--use-colors`` / ``--no-use-colors`` if given; else a terminal, unless NO_COLOR is set."""
    if given is not None:
        return given
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    ctx.meta.setdefault(_META_KEY, {})[param.name] = value


def output_options(command: Any) -> Any:
    """``--log-level``, ``--quiet`` and ``--use-colors``, named and meant as dbt's own."""
    options = [
        click.option(
            "--log-level",
            type=click.Choice(list(LOG_LEVELS), case_sensitive=False),
            default="info",
            show_default=True,
            expose_value=False,
            callback=_store,
            help="The lowest level of dbt's events to print while dbt runs (as dbt's "
            "--log-level); 'none' prints only the result.",
        ),
        click.option(
            "--quiet",
            "-q",
            is_flag=True,
            expose_value=False,
            callback=_store,
            help="Print only dbt's errors while it runs, and the result (as dbt's --quiet).",
        ),
        click.option(
            "--use-colors/--no-use-colors",
            default=None,
            expose_value=False,
            callback=_store,
            help="Colour dbt's status words (as dbt's option). Default: on a terminal, "
            "unless NO_COLOR is set; never when the output is piped.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def current_console(ctx: click.Context, *, err: bool) -> Console:
    """The :class:`Console` the running command's options ask for."""
    given = ctx.meta.get(_META_KEY, {})
    level = LOG_LEVELS[str(given.get("log_level") or "info").lower()]
    if given.get("quiet"):
        level = max(level, logging.ERROR)
    return Console(level=level, colour=_wants_colour(given.get("use_colors"), err), err=err)


@contextlib.contextmanager
def console(ctx: click.Context, *, err: bool = False) -> Iterator[Console]:
    """Print the runtime's records while the block runs; logging is left as it was."""
    current = current_console(ctx, err=err)
    root = logging.getLogger()
    handler, previous = _Handler(current), root.level
    root.addHandler(handler)
    # The runtimes' event loggers take the root's level: below it, they build no record.
    root.setLevel(min(current.level, logging.WARNING))
    try:
        yield current
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
