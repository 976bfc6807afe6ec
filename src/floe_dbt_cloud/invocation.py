"""One invocation as dbt Cloud runs: trigger the job, wait for its run, read what its step left.

The plugin decides *what* to run (the job, the ``steps_override``, the vars);
this module carries it out and turns the finished run into the contract's
result and the checked artifacts to keep.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from floe_core.artifacts import count_run_results
from floe_core.bounds import checked
from floe_core.errors import DBTArtifactNotFoundError, DBTConfigurationError, DBTRemoteError
from floe_core.lifecycle import count_lifecycle_nodes
from floe_core.plugin_interfaces import DBTRunResult
from floe_dbt_cloud.cache import validate_run_id
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.config import CloudRuntimeConfig
from floe_dbt_cloud.finished_run import CATALOG, MANIFEST, RUN_RESULTS, FinishedRun
from floe_dbt_cloud.jobs import LIFECYCLE_COMMANDS
from floe_dbt_cloud.models import Run, RunStatus, TriggerRunRequest
from floe_dbt_cloud.polling import wait_for_run

__all__ = ["Waiting", "collect", "execute", "latest_successful", "trigger_cause"]

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
            f"no {MANIFEST}: nothing cached and {command} job {job_id} has no successful "
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


def collect(
    finished: FinishedRun, *, job_id: int, account_id: str, target_dir: Path, seconds: float
) -> tuple[DBTRunResult, dict[str, bytes]]:
    """The contract's result of a finished run, and its checked artifacts to keep.

    Args:
        finished: The run and the command it was for.
        job_id: Its job.
        account_id: Its account.
        target_dir: Where the artifacts will be written (for the result's paths).
        seconds: How long the invocation took.

    Returns:
        The result (a lifecycle command's metadata counts seeds and snapshots
        too) and ``{name: bytes}`` of every artifact to write and cache.

    Raises:
        DBTExecutionError: The run was cancelled, or failed before dbt wrote results.
        DBTArtifactNotFoundError: The step saved no ``run_results.json`` or no
            ``manifest.json``: the result's paths are always this run's files,
            so nothing is written to ``target/`` or cached, and the message
            names the run, the step and the missing file.
        DBTRemoteError: An artifact is not the dbt file its name says.
    """
    run, step = finished.run, finished.step
    if finished.status == RunStatus.CANCELLED:
        raise finished.error()
    try:
        run_results = finished.fetch(RUN_RESULTS, required=True)
    except DBTArtifactNotFoundError:
        if finished.status == RunStatus.ERROR:
            # dbt stopped before running anything: that is an error, not a result.
            raise finished.error() from None
        raise
    assert run_results is not None
    document = finished.check(RUN_RESULTS, run_results)
    counts = count_run_results(document)
    # Required: the result's manifest_path must be this run's, never the manifest an
    # earlier run left in target/ (dbt writes one for every command that parses).
    manifest = finished.fetch(MANIFEST, required=True)
    assert manifest is not None
    finished.check(MANIFEST, manifest)
    artifacts = {RUN_RESULTS: run_results, MANIFEST: manifest}
    catalog = finished.fetch_catalog()
    if catalog is not None:
        artifacts[CATALOG] = catalog
    metadata = {
        "run_id": run.id,
        "job_id": job_id,
        "account_id": account_id,
        "step": step,
        "status": finished.status.humanized,
        "href": run.href,
        "dbt_version": run.dbt_version,
    }
    if finished.command in LIFECYCLE_COMMANDS:
        metadata.update(count_lifecycle_nodes(document).as_metadata())
    result = DBTRunResult(
        success=finished.status == RunStatus.SUCCESS and counts.failures == 0,
        manifest_path=target_dir / MANIFEST,
        catalog_path=target_dir / CATALOG if catalog is not None else None,
        run_results_path=target_dir / RUN_RESULTS,
        execution_time_seconds=max(seconds, 0.0),
        models_run=counts.models_run,
        tests_run=counts.tests_run,
        failures=counts.failures,
        metadata=metadata,
    )
    return result, artifacts
