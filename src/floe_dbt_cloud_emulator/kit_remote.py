"""The emulator as the kit's :class:`~floe_dbt_compliance.remote_service.RemoteService`.

The kit names requests and faults by what a request is for (trigger, poll,
cancel, artifact); this maps them onto the emulator's routes, its fault plan
and its request log. Imported by the cloud harness when the kit first asks
for ``cloud``, never at pytest load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from floe_dbt_compliance.remote_service import (
    ARTIFACT,
    CANCEL,
    OTHER,
    POLL,
    TRIGGER,
    RemoteFault,
    RemoteRequest,
)

from floe_dbt_cloud_emulator.core import DbtCloudEmulator

__all__ = ["EmulatedService"]

#: Route -> what the kit calls such a request.
KINDS = {
    "trigger_run": TRIGGER,
    "get_run": POLL,
    "cancel_run": CANCEL,
    "list_artifacts": ARTIFACT,
    "get_artifact": ARTIFACT,
    "get_job_artifact": ARTIFACT,
}
#: What the kit calls a request -> the route a fault on it is programmed for.
ROUTES = {TRIGGER: "trigger_run", POLL: "get_run", CANCEL: "cancel_run", ARTIFACT: "get_artifact"}


class EmulatedService:
    """The kit's view of one emulator: faults in, the request log out.

    Args:
        emulator: The emulator the harness serves its runtimes from.
        timeout_seconds: The run timeout of the instance the kit builds for
            the timeout check (``DBTCloudPlugin(timeout_seconds=...)``).
        poll_interval: The poll interval of the instance the kit builds for the
            polling check (``DBTCloudPlugin(poll_interval_seconds=...)``).
    """

    def __init__(
        self,
        emulator: DbtCloudEmulator,
        *,
        timeout_seconds: float = 3.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.emulator = emulator
        self.timeout_options: Mapping[str, Any] = {"timeout_seconds": timeout_seconds}
        self.poll_options: Mapping[str, Any] = {"poll_interval_seconds": poll_interval}
        self.poll_interval = poll_interval

    def requests(self) -> Sequence[RemoteRequest]:
        """Every request the emulator received, as the kit names them."""
        return [
            RemoteRequest(
                kind=KINDS.get(entry.route, OTHER),
                received=entry.received,
                status=entry.status,
                fault=entry.fault,
                run=None if entry.run_id is None else str(entry.run_id),
                job=None if entry.job_id is None else str(entry.job_id),
                method=entry.method,
                path=entry.path,
                run_fault=entry.run_fault,
                answered=entry.answered,
            )
            for entry in self.emulator.requests.entries()
        ]

    def inject(self, fault: RemoteFault) -> None:
        """Program ``fault`` into the emulator's fault plan."""
        faults = self.emulator.faults
        route = None if fault.request is None else ROUTES.get(fault.request)
        if fault.request is not None and route is None:
            raise ValueError(f"the emulator cannot inject a fault on {fault.request!r} requests")
        if fault.kind == "status":
            faults.fail_next(
                fault.count, status=fault.status, retry_after=fault.retry_after, route=route
            )
        elif fault.kind == "drop":
            faults.drop_next(fault.count, route=route)
        elif fault.kind == "lose_answer":
            faults.lose_response_next(fault.count, route=route)
        elif fault.kind == "slow":
            faults.hang_next(fault.count, seconds=fault.seconds, route=route)
        elif fault.kind == "run_never_finishes":
            faults.next_run("never_finishes")
        elif fault.kind == "run_stays_queued":
            faults.queue_next_run(fault.seconds)
        else:
            raise ValueError(f"unknown fault kind {fault.kind!r}")

    def clear(self) -> None:
        """Forget every fault not yet used."""
        self.emulator.faults.clear()

    def runs_started(self) -> int:
        """Runs the emulator has started."""
        return self.emulator.counters.runs_triggered

    def finished(self, run: str) -> float | None:
        """When the emulator ended the run (``time.monotonic()``, as the log), or None."""
        record = self.emulator.runs.get(int(run))
        return None if record is None else record.finished_monotonic
