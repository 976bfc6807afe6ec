"""What a harness gives the kit for a runtime that talks to a remote service.

A runtime that runs dbt elsewhere (dbt Cloud, a vendor's service) makes
promises about its conversation with that service (REQ-088, REQ-092): which
failures it retries and how often, how long it waits, that it honours
``Retry-After``, that it cancels a run it gave up on, that it never starts a
run twice. The kit checks them by injecting faults into the service and
reading the service's log of requests; a harness that can do both gives a
:class:`RemoteService` (``RuntimeHarness.for_project(..., remote=...)``),
which declares the ``remote_service`` capability. The bundled cloud harness
gives one over the dbt Cloud emulator; the kit itself imports no service.

Requests and faults are named by what the request is for, not by a URL, so
any service can map them: :data:`TRIGGER` (start a run), :data:`POLL` (ask
how a run is doing), :data:`CANCEL`, :data:`ARTIFACT` (fetch a run's files),
:data:`OTHER`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "ARTIFACT",
    "CANCEL",
    "OTHER",
    "POLL",
    "TRIGGER",
    "RemoteFault",
    "RemoteRequest",
    "RemoteService",
]

TRIGGER, POLL, CANCEL, ARTIFACT, OTHER = "trigger", "poll", "cancel", "artifact", "other"
FaultKind = Literal[
    "status", "drop", "lose_answer", "slow", "run_never_finishes", "run_stays_queued"
]


@dataclass(frozen=True)
class RemoteRequest:
    """One request the service received.

    Attributes:
        kind: What it was for (:data:`TRIGGER`, :data:`POLL` ...).
        received: When it arrived, ``time.monotonic()`` seconds of the kit's process.
        status: The status answered; None when no answer reached the runtime.
        fault: The fault injected into it, described, if any.
        run: The service's id of the run it concerns (the run a trigger started), if any.
        job: The service's id of the job it concerns, if any.
        method: Its method (``GET``, ``POST`` ...), when the service names it.
        path: What it asked for (a URL path), when the service names it.
        run_fault: The fault the run a trigger started carries (``queued 1s``), if any.
        answered: When its answer was ready (same clock as ``received``), when the
            service says: the wait the runtime chose before its next request is that
            request's ``received`` minus this, whatever the answer's own latency.
    """

    kind: str
    received: float
    status: int | None
    fault: str | None = None
    run: str | None = None
    job: str | None = None
    method: str = ""
    path: str = ""
    run_fault: str | None = None
    answered: float | None = None


@dataclass(frozen=True)
class RemoteFault:
    """A fault to inject into the service.

    Attributes:
        kind: ``status`` (answer ``status``, with ``retry_after`` when given),
            ``drop`` (close the connection unanswered), ``lose_answer`` (carry
            the request out, then close the connection unanswered), ``slow``
            (answer after ``seconds``), ``run_never_finishes`` (the next run
            stays running until cancelled), ``run_stays_queued`` (the next run
            waits ``seconds`` in the queue before it starts).
        request: Which requests it hits (``None``: any; ignored for run faults).
        count: How many requests it hits, one after the other.
        status: The status of a ``status`` fault.
        retry_after: The ``Retry-After`` seconds of a ``status`` fault.
        seconds: How long a ``slow`` answer or a queued run waits.
    """

    kind: FaultKind
    request: str | None = None
    count: int = 1
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0

    def describe(self) -> str:
        """The fault in a few words (for the certificate)."""
        what = {
            "status": f"HTTP {self.status}"
            + ("" if self.retry_after is None else f" Retry-After {self.retry_after:g}"),
            "slow": f"answer {self.seconds:g} s late",
            "run_stays_queued": f"run queued {self.seconds:g} s",
        }.get(self.kind, self.kind.replace("_", " "))
        times = "" if self.count == 1 else f" x{self.count}"
        target = (
            "" if self.request is None or self.kind.startswith("run_") else f" on {self.request}"
        )
        return f"{what}{target}{times}"


@runtime_checkable
class RemoteService(Protocol):
    """The service a remote runtime talks to, as the kit drives and reads it."""

    #: Options for ``harness.another(**options)`` building an instance whose run
    #: timeout is a few seconds (at most 10), for the timeout-and-cancel check.
    timeout_options: Mapping[str, Any]
    #: Options for ``harness.another(**options)`` building an instance that polls with
    #: :attr:`poll_interval` as its configured poll interval, for the polling check.
    poll_options: Mapping[str, Any]
    #: The configured poll interval of the instance :attr:`poll_options` builds, in seconds.
    poll_interval: float

    def requests(self) -> Sequence[RemoteRequest]:
        """Every request received so far, in order."""
        ...

    def inject(self, fault: RemoteFault) -> None:
        """Make the service misbehave as ``fault`` says, for the next matching requests."""
        ...

    def clear(self) -> None:
        """Forget every fault not yet used."""
        ...

    def runs_started(self) -> int:
        """How many runs the service has started so far."""
        ...

    def finished(self, run: str) -> float | None:
        """When the service ended ``run`` (on :attr:`RemoteRequest.received`'s clock), or None."""
        ...
