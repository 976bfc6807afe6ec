"""Waiting for a dbt Cloud run: poll with backoff, and never leave a run behind.

The wait between polls starts short (most of a small job's time is queueing)
and doubles up to ``poll_interval``, so a finished run is noticed at most one
interval late. When ``timeout`` passes — or the wait itself is interrupted or
fails — the run is cancelled in dbt Cloud before the error propagates, so a
timed-out or killed caller does not leave a job running and holding the
warehouse (a bug users filed against Airflow's provider).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Protocol

from floe_core.bounds import checked
from floe_core.errors import DBTError, DBTExecutionTimeout
from floe_dbt_cloud.config import CloudRuntimeConfig
from floe_dbt_cloud.models import Run

__all__ = ["backoff_delays", "wait_for_run"]

logger = logging.getLogger(__name__)

_FIRST_DELAY_FRACTION = 1 / 8


class _RunApi(Protocol):
    def get_run(self, run_id: int, *, include_related: tuple[str, ...] = ...) -> Run: ...

    def cancel_run(self, run_id: int) -> Run: ...


def backoff_delays(poll_interval: float) -> Iterator[float]:
    """Yield the waits between polls: ``interval/8``, doubling, capped at ``interval``.

    Examples:
        >>> delays = backoff_delays(8.0)
        >>> [next(delays) for _ in range(6)]
        [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    """
    delay = poll_interval * _FIRST_DELAY_FRACTION
    while True:
        yield min(delay, poll_interval)
        delay *= 2


def wait_for_run(
    api: _RunApi,
    run_id: int,
    *,
    poll_interval: float,
    timeout: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    on_poll: Callable[[Run], None] | None = None,
) -> Run:
    """Poll a run until it is terminal.

    Args:
        api: The Admin API client.
        run_id: The run to wait for.
        poll_interval: The longest wait between two polls.
        timeout: Seconds from now after which the run is cancelled.
        sleep: How to wait.
        clock: A monotonic clock.
        on_poll: Given the run as each poll sees it (its progress: status, step logs).

    Returns:
        The run, with its steps, in status 10, 20 or 30.

    Raises:
        DBTConfigurationError: ``poll_interval`` or ``timeout`` is outside the
            bounds of ``manifest.yaml``; the run was asked to cancel.
        DBTExecutionTimeout: ``timeout`` passed; the run was asked to cancel.
        DBTRemoteError: Polling failed even after retries; the run was asked to cancel.
    """
    try:
        # The bounds of manifest.yaml: a poll every 1e-300 s floods the API, a timeout
        # of inf never cancels. Checked for callers that build no runtime too; the run
        # exists already, so a refusal cancels it like any other failure.
        checked(CloudRuntimeConfig, poll_interval_seconds=poll_interval, timeout_seconds=timeout)
        deadline = clock() + timeout
        delays = backoff_delays(poll_interval)
        while True:
            run = api.get_run(run_id)
            if on_poll is not None:
                on_poll(run)
            if run.is_terminal:
                return run
            remaining = deadline - clock()
            if remaining <= 0:
                break
            sleep(min(next(delays), remaining))
    except (Exception, KeyboardInterrupt) as exc:
        _cancel_quietly(api, run_id, reason=type(exc).__name__)
        raise
    cancelled = _cancel_quietly(api, run_id, reason="timeout")
    outcome = "cancelled" if cancelled else "asked to cancel, but the cancel request failed"
    raise DBTExecutionTimeout(
        f"dbt Cloud run {run_id} did not finish within timeout_seconds={timeout:g}; it was "
        f"{outcome} (status when last seen: {run.status_humanized or run.status})"
    )


def _cancel_quietly(api: _RunApi, run_id: int, *, reason: str) -> bool:
    # Best effort: the original problem is what the caller must see.
    try:
        api.cancel_run(run_id)
    except DBTError as exc:
        logger.warning("could not cancel dbt Cloud run %s after %s: %s", run_id, reason, exc)
        return False
    logger.warning("cancelled dbt Cloud run %s after %s", run_id, reason)
    return True
