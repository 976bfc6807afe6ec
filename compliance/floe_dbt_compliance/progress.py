"""The kit's running report: a line per row of each runtime as it finishes, with what remains.

A certification takes minutes; pytest's dots say nothing of rows. Once the
kit tests are collected, the plan is known: which checks (pytest items)
make up each (runtime, row). As each check's last phase is reported, the
row's status so far is its worst outcome; when a row's last check is in,
one line says the row's verdict, how long its checks took, and how many
rows remain; when a runtime's last row is in, one line sums it up.

Under pytest-xdist the controller collects nothing: each worker attaches
its plan to the first report it sends (a report's attributes travel with
it), and the controller, which sees every report, prints the lines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pytest

from floe_dbt_compliance.report import (
    CELLS,
    REQUIREMENT_PROPERTY,
    RUNTIME_PROPERTY,
    outcome_from_report,
)
from floe_dbt_compliance.status import Status

__all__ = ["PLAN_ATTRIBUTE", "Plan", "Progress"]

PLAN_ATTRIBUTE = "floe_dbt_plan"
_KEY_WIDTH = 32
#: (runtime, row key, nodeid) of every kit check collected.
Plan = list[tuple[str, str, str]]


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{seconds:.1f}s"


@dataclass
class _Row:
    pending: set[str]
    status: Status | None = None
    seconds: float = 0.0


@dataclass
class Progress:
    """Follows the kit's checks and says, row by row, how the certification goes.

    Args:
        write: Prints one line (the terminal reporter's ``write_line``).
    """

    write: Callable[[str], None]
    _rows: dict[tuple[str, str], _Row] = field(default_factory=dict)
    _left: dict[str, int] = field(default_factory=dict)
    _done: dict[str, dict[Status, int]] = field(default_factory=dict)
    _started: float = field(default_factory=time.perf_counter)
    _planned: bool = False

    def plan(self, checks: Iterable[tuple[str, str, str]]) -> None:
        """Learn which checks make up each (runtime, row); the first plan given counts."""
        if self._planned:
            return
        self._planned = True
        for runtime, key, nodeid in checks:
            row = self._rows.setdefault((runtime, key), _Row(set()))
            row.pending.add(nodeid)
        for runtime, _ in self._rows:
            self._left[runtime] = self._left.get(runtime, 0) + 1
        if self._rows:
            each = ", ".join(f"{name} ({count} rows)" for name, count in self._left.items())
            checks_count = sum(len(row.pending) for row in self._rows.values())
            self.write(f"floe-dbt: certifying {each}: {checks_count} checks")

    def plan_json(self) -> str:
        """The plan, for a worker's first report."""
        return json.dumps(
            [[runtime, key, nodeid] for (runtime, key), row in self._rows.items()
             for nodeid in sorted(row.pending)]
        )  # fmt: skip

    def report(self, report: pytest.TestReport) -> None:
        """Take one phase's report; print the row (and the runtime) it completes."""
        plan = getattr(report, PLAN_ATTRIBUTE, None)
        if plan is not None:
            self.plan(tuple(entry) for entry in json.loads(plan))
        properties = dict(report.user_properties)
        key = (properties.get(RUNTIME_PROPERTY), properties.get(REQUIREMENT_PROPERTY))
        row = self._rows.get(key)  # type: ignore[arg-type]
        if row is None:
            return
        outcome = outcome_from_report(report)
        if outcome is not None:
            if row.status is None or outcome.status.rank < row.status.rank:
                row.status = outcome.status
            row.seconds += outcome.duration
        # Every check ends with its teardown report, whatever happened before.
        if report.when == "teardown":
            row.pending.discard(report.nodeid)
            if not row.pending:
                self._row_done(str(key[0]), str(key[1]), row)

    def _row_done(self, runtime: str, key: str, row: _Row) -> None:
        status = row.status or Status.PASSED
        self._left[runtime] -= 1
        tally = self._done.setdefault(runtime, {})
        tally[status] = tally.get(status, 0) + 1
        total = sum(tally.values()) + self._left[runtime]
        elapsed = _clock(time.perf_counter() - self._started)
        dots = "." * max(2, _KEY_WIDTH - len(key))
        self.write(
            f"[{runtime}] {key} {dots} {CELLS[status]:<4} {_clock(row.seconds):>6}   "
            f"{total - self._left[runtime]}/{total} rows, "
            f"{sum(self._left.values())} to go, {elapsed} elapsed"
        )
        if self._left[runtime] == 0:
            counts = ", ".join(f"{n} {CELLS[s]}" for s, n in sorted(tally.items(), key=_rank))
            self.write(f"[{runtime}] all {total} rows in {elapsed}: {counts}")


def _rank(item: tuple[Status, int]) -> int:
    return -item[0].rank
