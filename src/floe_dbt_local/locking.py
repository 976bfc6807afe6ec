"""The process-wide lock that serialises every dbt-core invocation (REQ-093).

dbt-core keeps global state (flags, invocation id, the adapter factory and one
process-wide event manager whose callbacks each invocation replaces): two
``dbtRunner.invoke`` calls at once in one process give silently wrong results.
The lock remembers who holds it, so that a caller that gives up waiting can be
told what it waited for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from floe_core.errors import DBTExecutionError, DBTExecutionTimeout

__all__ = ["InvocationLock", "LockHolder"]


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, for the message of a waiter that times out.

    Attributes:
        command: The dbt command being run (``run``, ``test`` ...).
        project_dir: The project it runs on.
        thread_name: The holding thread's name.
        thread_id: The holding thread's identifier.
        acquired_at: ``time.monotonic()`` when the lock was taken.
    """

    command: str
    project_dir: Path
    thread_name: str
    thread_id: int
    acquired_at: float

    def describe(self) -> str:
        """Say who holds the lock and for how long, for an error message."""
        held_for = time.monotonic() - self.acquired_at
        return (
            f"`dbt {self.command}` on {self.project_dir} "
            f"(thread {self.thread_name!r}) has held it for {held_for:.1f} s"
        )


class InvocationLock:
    """A non-reentrant lock with a timeout that knows its holder.

    Examples:
        >>> lock = InvocationLock()
        >>> with lock.hold("run", Path("proj"), timeout_seconds=1.0):
        ...     lock.holder.command
        'run'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: LockHolder | None = None

    @property
    def holder(self) -> LockHolder | None:
        """The current holder, or None when the lock is free."""
        return self._holder

    @contextmanager
    def hold(self, command: str, project_dir: Path, *, timeout_seconds: float) -> Iterator[None]:
        """Hold the lock for one invocation.

        Args:
            command: The dbt command, for the holder record.
            project_dir: The project, for the holder record.
            timeout_seconds: How long to wait for the lock.

        Yields:
            Nothing; the lock is held inside the ``with`` block.

        Raises:
            DBTExecutionTimeout: The lock was not free within ``timeout_seconds``;
                the message names the holder and how long it has held the lock.
            DBTExecutionError: The calling thread already holds the lock (a dbt
                callback invoking dbt again would otherwise wait until the timeout).
        """
        current = threading.current_thread()
        holder = self._holder
        if holder is not None and holder.thread_id == current.ident:
            raise DBTExecutionError(
                f"cannot start `dbt {command}` on {project_dir}: this thread is already "
                f"running `dbt {holder.command}` on {holder.project_dir}; dbt-core "
                "invocations cannot be nested"
            )
        if not self._lock.acquire(timeout=timeout_seconds):
            holder = self._holder
            held_by = holder.describe() if holder is not None else "its holder has just released it"
            raise DBTExecutionTimeout(
                f"gave up waiting {timeout_seconds:g} s to start `dbt {command}` on "
                f"{project_dir}: dbt-core runs one invocation at a time per process and "
                f"{held_by}; raise lock_timeout_seconds or run fewer invocations at once"
            )
        try:
            self._holder = LockHolder(
                command, project_dir, current.name, current.ident or 0, time.monotonic()
            )
            yield
        finally:
            self._holder = None
            self._lock.release()
