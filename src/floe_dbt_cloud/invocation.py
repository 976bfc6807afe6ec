"""One invocation as dbt Cloud runs: trigger the job, at most once, and wait for its run.

The runner (:mod:`floe_dbt_cloud.runner`) decides *what* to run (the job,
the ``steps_override``); this module carries it out and hands back the
finished run (:mod:`floe_dbt_cloud.finished_run` reads what its step left).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from floe_core.artifacts import MANIFEST_JSON
from floe_core.bounds import checked
from floe_core.errors import DBTArtifactNotFoundError, DBTConfigurationError, DBTRemoteError
from floe_dbt_cloud.cache import validate_run_id
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.config import CloudRuntimeConfig
from floe_dbt_cloud.finished_run import FinishedRun
from floe_dbt_cloud.models import Run, RunStatus, TriggerRunRequest
from floe_dbt_cloud.polling import wait_for_run

__all__ = ["Waiting", "execute", "latest_successful", "trigger_cause"]

logger = logging.getLogger(__name__)


def trigger_cause(command: str) -> str:
    """A ``cause`` unique to one trigger, so a run whose trigger answer was lost can be found.

    It names the command and a random id, nothing else (no selector, no
    secret), and stays far below the API's 255 characters.

    Examples:
        >>> trigger_cause("run")  # doctest: +ELLIPSIS
        'floe-dbt: dbt run [...]'
    """
    return f"floe-dbt: dbt {command} [{uuid.uuid4().hex}]"


@dataclass(frozen=True)
class Waiting:
    """How a run is waited for: poll at most every ``poll_interval``, cancel after ``timeout``.

    Raises:
        DBTConfigurationError: A number is outside the bounds of ``manifest.yaml``.
    """

    poll_interval: float
    timeout: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]

    def __post_init__(self) -> None:
        checked(
            CloudRuntimeConfig,
            poll_interval_seconds=self.poll_interval,
            timeout_seconds=self.timeout,
        )


def execute(
    client: AdminApiClient,
    job_id: int,
    command: str,
    steps: list[str] | None,
    *,
    target: str,
    waiting: Waiting,
    scrub: Callable[[bytes], bytes],
    on_poll: Callable[[Run], None] | None = None,
) -> FinishedRun:
    """Trigger the job (at most one run, see :meth:`AdminApiClient.trigger_run`) and wait for it.

    ``target`` is sent as ``target_name_override``: dbt Cloud's ``target.name``
    for the run (the connection stays the job environment's).

    Raises:
        DBTConfigurationError: The run succeeded without a ``dbt <command>`` step.
        DBTExecutionTimeout: It did not end in time (it was cancelled).
        DBTRemoteError: dbt Cloud answered with an error.
    """
    body = TriggerRunRequest(
        cause=trigger_cause(command), target_name_override=target, steps_override=steps
    )
    run = client.trigger_run(job_id, body)
    validate_run_id(run.id)
    logger.info("triggered dbt Cloud run %s of job %s (dbt %s)", run.id, job_id, command)
    run = wait_for_run(
        client,
        run.id,
        poll_interval=waiting.poll_interval,
        timeout=waiting.timeout,
        sleep=waiting.sleep,
        clock=waiting.clock,
        on_poll=on_poll,
    )
    finished = FinishedRun(client, run, command, scrub)
    if finished.step == 0 and finished.status == RunStatus.SUCCESS:
        raise DBTConfigurationError(
            f"job {job_id} ran no `dbt {command}` step (run {run.id}); configure the "
            f"job's commands to include `dbt {command}`"
        )
    return finished


def latest_successful(
    client: AdminApiClient, job_id: int, command: str, *, scrub: Callable[[bytes], bytes]
) -> FinishedRun:
    """The job's newest successful run, with its steps.

    Raises:
        DBTArtifactNotFoundError: The job has no successful run yet.
        DBTRemoteError: dbt Cloud answered with another job's run, or an error.
    """
    page = client.list_runs(
        job_definition_id=job_id, status=RunStatus.SUCCESS, order_by="-id", limit=1
    )
    if not page.data:
        raise DBTArtifactNotFoundError(
            f"no {MANIFEST_JSON}: nothing cached and {command} job {job_id} has no successful "
            f"run yet; run {command}_project() first"
        )
    listed = page.data[0]
    if listed.job_definition_id != job_id or listed.status != RunStatus.SUCCESS:
        raise DBTRemoteError(
            f"dbt Cloud answered the successful runs of job {job_id} with run {listed.id} "
            f"of job {listed.job_definition_id} (status {listed.status})",
            run_id=listed.id,
        )
    # The list endpoint cannot include run_steps, and the step matters.
    return FinishedRun(client, client.get_run(listed.id), command, scrub)
