"""A step's log as dbt Cloud shows it while the step runs: dbt's console lines so far.

dbt Cloud's ``run_steps[].logs`` grows while dbt runs. The emulator's steps
run the local runtime in this process, which logs dbt's events on
``floe_dbt_local.events``: while a step runs, each event at INFO or above
whose invocation works on the step's project becomes a line of the step's
log, ``HH:MM:SS  message`` as dbt's console prints it. (The local runtime
runs one invocation at a time per process; the one holding its lock is the
step's when it works on the step's project.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["streaming_step_log"]

_EVENTS = "floe_dbt_local.events"
_level_lock = threading.Lock()
_streaming = [0]


class _StepLines(logging.Handler):
    def __init__(self, append: Callable[[str], None], project_dir: Path, holder: Any) -> None:
        super().__init__(logging.INFO)
        self.append = append
        self.project_dir = project_dir
        self.holder = holder

    def emit(self, record: logging.LogRecord) -> None:
        holding = self.holder()
        if holding is None or holding.project_dir != self.project_dir:
            return  # another step's invocation
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        self.append(f"{stamp}  {record.getMessage()}\n")


@contextmanager
def streaming_step_log(append: Callable[[str], None], project_dir: Path) -> Iterator[None]:
    """Append the step's dbt lines with ``append`` while the block runs the step."""
    try:
        from floe_dbt_local import LocalDBTPlugin
    except ImportError:  # a step executor of the test's own, without dbt-core
        yield
        return
    lock = LocalDBTPlugin.invocation_lock
    handler = _StepLines(append, project_dir.resolve(), lambda: lock.holder)
    events = logging.getLogger(_EVENTS)
    with _level_lock:
        if _streaming[0] == 0:
            _streaming.append(events.level)
            events.setLevel(logging.INFO)
        _streaming[0] += 1
        events.addHandler(handler)
    try:
        yield
    finally:
        with _level_lock:
            events.removeHandler(handler)
            _streaming[0] -= 1
            if _streaming[0] == 0:
                events.setLevel(_streaming.pop())
