"""A dbt Cloud run's progress, as it arrives: its status and its steps' logs, line by line.

dbt Cloud sends no events, only the run (status, steps) and each step's
``logs``: the text dbt's console printed so far. Each poll of the run is
handed to :class:`StepLogFollower`, which logs what is new as
:class:`floe_core.events.DbtEvent` records on ``floe_dbt_cloud.events``: a
status change, a step that starts, and each complete log line, parsed as
dbt's console line it is (``3 of 12 OK created sql table model ...`` gives
the node's status). The ``floe`` command prints them as it prints the local
runtime's events; an OpenTelemetry logging bridge exports them in the run's
span (the poll runs inside it).

dbt Cloud keeps only the end of a long log, so a step's text is not always
the previous text plus more: then what follows the longest run of the last
lines seen is new, and when none of them is left, the whole text is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from floe_core.events import DbtEvent, log_dbt_event
from floe_core.redaction import redact_text
from floe_dbt_cloud.models import TERMINAL_STATUSES, Run, RunStep

__all__ = ["EVENT_LOGGER_NAME", "StepLogFollower", "parse_line"]

EVENT_LOGGER_NAME = "floe_dbt_cloud.events"
RUNTIME_TYPE = "cloud"
# dbt's console: an optional "HH:MM:SS  " (dbt Cloud keeps it), then the message.
_STAMP = re.compile(r"^\d\d:\d\d:\d\d(?:\.\d+)?(?:\s+|$)")
# "3 of 12 START ...", "3 of 12 OK created ...", "3 of 12 ERROR creating ...", "3 of 12 PASS ..."
_NODE = re.compile(r"^\d+ of \d+ (?P<word>START|OK|PASS|ERROR|FAIL|WARN|SKIP)\b")
_STATUS = {
    "START": "started",
    "OK": "success",
    "PASS": "pass",
    "ERROR": "error",
    "FAIL": "fail",
    "WARN": "warn",
    "SKIP": "skipped",
}
_ERRORS = ("Failure in ", "Error in ", "Runtime Error", "Compilation Error", "Database Error")
_TIME = re.compile(r"\bin (?P<seconds>\d+(?:\.\d+)?)s\]\s*$")


def parse_line(line: str) -> DbtEvent:
    """One line of a step's log as a dbt event (``StepLogLine``), with what the text tells.

    Examples:
        >>> event = parse_line("12:00:01  2 of 3 ERROR creating sql table model main.b ... "
        ...                    "[ERROR in 0.20s]")
        >>> event.message, event.node_status, event.level, event.execution_time
        ('2 of 3 ERROR creating sql table model main.b ... [ERROR in 0.20s]', 'error', 'error', 0.2)
    """
    message = _STAMP.sub("", line.rstrip())
    node = _NODE.match(message)
    status = _STATUS[node["word"]] if node else None
    if status in ("error", "fail") or (node is None and message.lstrip().startswith(_ERRORS)):
        level = "error"
    elif status == "warn" or message.startswith("[WARNING]"):
        level = "warn"
    else:
        level = "info"
    timing = _TIME.search(message) if node and status != "started" else None
    return DbtEvent(
        name="StepLogLine",
        level=level,
        message=message,
        node_status=status,
        execution_time=float(timing["seconds"]) if timing else None,
        runtime=RUNTIME_TYPE,
    )


_TAIL = 20


@dataclass
class _Seen:
    consumed: str = ""  # the text up to the end of the last line logged
    tail: list[str] = field(default_factory=list)  # the last lines logged
    announced: bool = False


def _resume_at(lines: list[str], tail: list[str]) -> int:
    """Where to go on in a log that lost its head: after the longest run of the lines seen last."""
    for size in range(len(tail), 0, -1):
        wanted = tail[-size:]
        for end in range(len(lines), size - 1, -1):
            if lines[end - size : end] == wanted:
                return end
    return 0


@dataclass
class StepLogFollower:
    """Called with the run at every poll; logs what is new since the previous one.

    Args:
        secrets: Values taken out of every line (the call's secret vars).
        logger: Where the records go; ``floe_dbt_cloud.events`` by default.
    """

    secrets: Sequence[str] = ()
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger(EVENT_LOGGER_NAME))
    _status: int | None = None
    _steps: dict[int, _Seen] = field(default_factory=dict)

    def __call__(self, run: Run) -> None:
        """Take one poll's view of the run."""
        invocation = str(run.id)
        # A new status first, unless it ends the run: then after the steps' last lines.
        if not run.is_terminal:
            self._status_changed(run, invocation)
        for step in sorted(run.run_steps, key=lambda step: step.index):
            finished = step.status in TERMINAL_STATUSES or run.is_terminal
            self._step(step, invocation, finished=finished)
        if run.is_terminal:
            self._status_changed(run, invocation)

    def _status_changed(self, run: Run, invocation: str) -> None:
        if run.status == self._status:
            return
        self._status = run.status
        humanized = run.status_humanized or str(run.status)
        self._log(
            DbtEvent("CloudRunStatus", "info", f"dbt Cloud run {run.id}: {humanized}"), invocation
        )

    def _step(self, step: RunStep, invocation: str, *, finished: bool) -> None:
        seen = self._steps.setdefault(step.index, _Seen())
        if not seen.announced:
            seen.announced = True
            self._log(
                DbtEvent("CloudRunStep", "info", f"step {step.index}: {step.name}"), invocation
            )
        text = step.logs or ""
        if text.startswith(seen.consumed):  # the usual case: the log grew
            base, rest = seen.consumed, text[len(seen.consumed) :]
        else:  # dbt Cloud kept only the end of it
            lines = text.splitlines(keepends=True)
            start = _resume_at(lines, seen.tail)
            base, rest = "".join(lines[:start]), "".join(lines[start:])
        if not rest or (not finished and "\n" not in rest):
            return
        fresh = rest.splitlines(keepends=True)
        complete = [line for line in fresh if line.endswith("\n")]
        if finished and not fresh[-1].endswith("\n"):
            complete.append(fresh[-1])  # a finished step's last line, unterminated
        seen.consumed = base + "".join(complete)
        seen.tail = (seen.tail + complete)[-_TAIL:]
        for line in complete:
            if line.strip():
                self._log(parse_line(line), invocation)

    def _log(self, event: DbtEvent, invocation: str) -> None:
        message = redact_text(event.message, self.secrets) if self.secrets else event.message
        event = DbtEvent(
            name=event.name,
            level=event.level,
            message=message,
            invocation_id=invocation,
            node_status=event.node_status,
            execution_time=event.execution_time,
            runtime=RUNTIME_TYPE,
        )
        log_dbt_event(self.logger, event)
