"""Every request the emulator received, in order: what was asked, what was answered, and why.

Counters say how many; the log says which, when and with what outcome, so a
test or the compliance kit can read a runtime's conversation with dbt Cloud:
the attempts after a fault, the pauses between them, the polls, the cancel.
A request the published API document refuses is logged with the document's
objections (and at WARNING on the ``floe_dbt_cloud_emulator`` logger).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["LoggedRequest", "RequestLog"]


@dataclass(frozen=True)
class LoggedRequest:
    """One request and its outcome.

    Attributes:
        route: The emulator's route name (``trigger_run``, ``get_run`` ...).
        method: The HTTP method.
        path: The URL path.
        query: The raw query string.
        received: ``time.monotonic()`` when it arrived.
        answered: ``time.monotonic()`` when its answer (or its fault) was ready; the
            wait a client chose is the next request's ``received`` minus this.
        status: The HTTP status answered; None when no answer left (a dropped
            connection, a lost response).
        fault: The fault injected into it (``"status 429"``, ``"drop"`` ...), if any.
        run_fault: The fault the run a trigger started carries (``"queued 1s"``,
            ``"never_finishes"``), if any.
        refused: What the API document found wrong with it (field -> messages).
        run_id: The run it concerns (in its path, or the run a trigger started).
        job_id: The job it concerns (in its path).
    """

    route: str
    method: str
    path: str
    query: str
    received: float
    status: int | None
    answered: float | None = None
    fault: str | None = None
    run_fault: str | None = None
    refused: Mapping[str, list[str]] = field(default_factory=dict)
    run_id: int | None = None
    job_id: int | None = None


class RequestLog:
    """Thread-safe, append-only; the server thread writes, tests and the kit read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        """Append one request (the server calls this once it has answered, or not)."""
        with self._lock:
            self._entries.append(entry)

    def entries(self, route: str | None = None) -> list[LoggedRequest]:
        """A copy of the log so far, optionally of one route."""
        with self._lock:
            return [entry for entry in self._entries if route in (None, entry.route)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @staticmethod
    def now() -> float:
        """The clock :attr:`LoggedRequest.received` is read from."""
        return time.monotonic()
