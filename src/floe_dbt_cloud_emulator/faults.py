"""Fault injection: what a test can make the emulator do wrong, and how often.

HTTP faults apply to the next ``count`` matching requests (optionally only on
one route) and are consumed in the order they were programmed. Run faults
apply to the next run triggered (optionally of one job). Everything is
thread-safe: tests program faults while the server thread consumes them.

Examples:
    >>> faults = FaultPlan()
    >>> faults.fail_next(2, status=429, retry_after=1)
    >>> faults.take_http("get_run").status
    429
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["ROUTES", "FaultPlan", "HttpFault", "RunFault", "RunOutcome"]

HttpFaultKind = Literal["status", "hang", "drop", "lose_response", "malformed_json", "wrong_shape"]
RunOutcome = Literal["error", "cancelled", "never_finishes"]
ROUTES = frozenset(
    {
        "trigger_run",
        "list_runs",
        "get_run",
        "cancel_run",
        "list_artifacts",
        "get_artifact",
        "get_job_artifact",
        "discovery",
    }
)


@dataclass
class HttpFault:
    """One programmed misbehaviour of the HTTP layer.

    Attributes:
        kind: ``status`` (answer ``status``), ``hang`` (wait ``seconds`` first),
            ``drop`` (close the TCP connection without answering),
            ``lose_response`` (carry the request out, then close the connection
            instead of answering),
            ``malformed_json`` (a truncated JSON body), ``wrong_shape`` (valid
            JSON that is not what the endpoint returns).
        remaining: How many more requests it applies to.
        route: Only requests to this route, or any when None.
        status: The HTTP status of a ``status`` fault.
        retry_after: The ``Retry-After`` header of a ``status`` fault, if any.
        seconds: How long a ``hang`` lasts.
    """

    kind: HttpFaultKind
    remaining: int
    route: str | None = None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 30.0


@dataclass(frozen=True)
class RunFault:
    """How the next run (of ``job_id``, or of any job) ends."""

    outcome: RunOutcome
    job_id: int | None = None


def _check(count: int, route: str | None) -> None:
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if route is not None and route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; choose one of {sorted(ROUTES)}")


class FaultPlan:
    """The faults programmed into one emulator (``emulator.faults``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http: list[HttpFault] = []
        self._runs: list[RunFault] = []
        self._missing: list[tuple[str, int | None]] = []
        self._queued: list[float] = []

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        retry_after: float | str | None = None,
        route: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (429, 500, 502, 503, 401 ...).

        Args:
            count: How many requests.
            status: The HTTP status; the body is dbt Cloud's error envelope.
            retry_after: A ``Retry-After`` header (seconds or an HTTP date); none when None.
            route: Only this route (see :data:`ROUTES`).
        """
        _check(count, route)
        header = None if retry_after is None else str(retry_after)
        self._add(HttpFault("status", count, route, status=status, retry_after=header))

    def hang_next(self, count: int = 1, *, seconds: float = 30.0, route: str | None = None) -> None:
        """Make the next ``count`` requests wait ``seconds`` before answering normally."""
        _check(count, route)
        self._add(HttpFault("hang", count, route, seconds=seconds))

    def drop_next(self, count: int = 1, *, route: str | None = None) -> None:
        """Close the connection of the next ``count`` requests without an answer.

        Needs the real server (:func:`serve_emulator`): in-process there is no connection.
        """
        _check(count, route)
        self._add(HttpFault("drop", count, route))

    def lose_response_next(self, count: int = 1, *, route: str | None = None) -> None:
        """Carry out the next ``count`` requests, then drop their connection unanswered.

        What a client sees when the network loses an answer after the server
        acted: on ``trigger_run`` the run exists and is running, but the
        caller never learnt its id. Needs the real server (:func:`serve_emulator`).
        """
        _check(count, route)
        self._add(HttpFault("lose_response", count, route))

    def malformed_json_next(self, count: int = 1, *, route: str | None = None) -> None:
        """Answer the next ``count`` requests with 200 and a truncated JSON body."""
        _check(count, route)
        self._add(HttpFault("malformed_json", count, route))

    def wrong_shape_next(self, count: int = 1, *, route: str | None = None) -> None:
        """Answer the next ``count`` requests with 200 and JSON of the wrong shape."""
        _check(count, route)
        self._add(HttpFault("wrong_shape", count, route))

    def next_run(self, outcome: RunOutcome, *, job_id: int | None = None) -> None:
        """Make the next run (of ``job_id``) end in ``error``, be ``cancelled`` or never finish.

        ``error`` fails the run before dbt starts (the git clone fails);
        ``cancelled`` is a run cancelled in dbt Cloud by someone else;
        ``never_finishes`` stays running until it is cancelled.
        """
        if outcome not in ("error", "cancelled", "never_finishes"):
            raise ValueError(f"unknown run outcome {outcome!r}")
        with self._lock:
            self._runs.append(RunFault(outcome, job_id))

    def queue_next_run(self, seconds: float) -> None:
        """Keep the next run queued ``seconds`` before it starts (a busy account's queue)."""
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        with self._lock:
            self._queued.append(seconds)

    def take_queue_delay(self) -> float:
        """Consume the queueing programmed for a new run (0 when none; the server calls this)."""
        with self._lock:
            return self._queued.pop(0) if self._queued else 0.0

    def missing_artifact(self, name: str, *, job_id: int | None = None) -> None:
        """Make the next run (of ``job_id``) save no ``name`` (e.g. ``run_results.json``)."""
        with self._lock:
            self._missing.append((name, job_id))

    def clear(self) -> None:
        """Forget every programmed fault."""
        with self._lock:
            self._http.clear()
            self._runs.clear()
            self._missing.clear()
            self._queued.clear()

    def take_http(self, route: str) -> HttpFault | None:
        """Consume one HTTP fault for a request to ``route`` (the server calls this)."""
        with self._lock:
            for fault in self._http:
                if fault.route in (None, route):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._http.remove(fault)
                    return fault
        return None

    def take_run_faults(self, job_id: int) -> tuple[RunOutcome | None, frozenset[str]]:
        """Consume the run outcome and missing artifacts programmed for a new run of ``job_id``."""
        with self._lock:
            outcome = None
            for fault in self._runs:
                if fault.job_id in (None, job_id):
                    self._runs.remove(fault)
                    outcome = fault.outcome
                    break
            missing = [entry for entry in self._missing if entry[1] in (None, job_id)]
            for entry in missing:
                self._missing.remove(entry)
            return outcome, frozenset(name for name, _ in missing)

    def _add(self, fault: HttpFault) -> None:
        with self._lock:
            self._http.append(fault)
