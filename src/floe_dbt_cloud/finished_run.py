"""What a finished dbt Cloud run left behind: the step that ran the command and its artifacts.

dbt Cloud's artifact endpoints answer with the *last* step's files unless a
step is named, and the last step is often ``dbt docs generate``; everything
here reads the step that ran the command. Artifacts are validated before the
runtime writes them anywhere, and a run that failed before dbt wrote results
becomes the error a person can act on (run id, status, end of the step's log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_core.artifacts import count_run_results
from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTError,
    DBTExecutionError,
    DBTRemoteError,
)
from floe_core.lifecycle import lifecycle_metadata
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import COMMANDS
from floe_dbt_cloud.artifacts import (
    CATALOG,
    MANIFEST,
    RUN_RESULTS,
    SCHEMA_KINDS,
    ArtifactShapeError,
    parse_artifact,
)
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.commands import step_runs_command
from floe_dbt_cloud.models import Run, RunStatus
from floe_dbt_cloud.scrub import scrub_credentials

__all__ = ["CATALOG", "MANIFEST", "RUN_RESULTS", "FinishedRun", "collect"]

# How dbt names the errors that mean "the project does not compile or parse".
_COMPILATION_MARKERS = ("Compilation Error", "Parsing Error", "CompilationError", "ParsingError")
_LOG_TAIL = 600


@dataclass(frozen=True)
class FinishedRun:
    """A terminal run, the command it was for, and the client to fetch its artifacts.

    Attributes:
        client: The Admin API client.
        run: The run, with its steps.
        command: ``compile``, ``run`` or ``test``.
        scrub: Applied to every artifact as it is downloaded: takes out
            credentials (:func:`~floe_dbt_cloud.scrub.scrub_credentials`) before
            anything can be written.
    """

    client: AdminApiClient
    run: Run
    command: str
    scrub: Callable[[bytes], bytes] = field(default=scrub_credentials, repr=False)

    @property
    def step(self) -> int:
        """The index of the last step that ran ``dbt <command>``; 0 when none did."""
        matching = [s.index for s in self.run.run_steps if step_runs_command(s.name, self.command)]
        return matching[-1] if matching else 0

    @property
    def status(self) -> RunStatus:
        """The run's final status."""
        return RunStatus(self.run.status)

    def fetch(self, name: str, *, required: bool, step: int | None = None) -> bytes | None:
        """Download one artifact of the command's step (or of ``step``), credentials scrubbed.

        Raises:
            DBTArtifactNotFoundError: ``required`` and the step saved no such file;
                the message names the run and the step.
        """
        step = self.step if step is None else step
        if step == 0:
            if required:
                raise DBTArtifactNotFoundError(
                    f"dbt Cloud run {self.run.id} has no step that ran `dbt {self.command}`"
                )
            return None
        try:
            return self.scrub(self.client.get_artifact(self.run.id, name, step=step))
        except DBTRemoteError as exc:
            if exc.status_code != 404:
                raise
            if required:
                raise DBTArtifactNotFoundError(
                    f"dbt Cloud run {self.run.id} step {step} saved no {name} "
                    f"(run status: {self.status.humanized}); the step may have failed before "
                    "dbt wrote it, see the run's logs"
                ) from exc
            return None

    def fetch_catalog(self) -> bytes | None:
        """``catalog.json``, when a ``dbt docs generate`` step of the run succeeded.

        Asked for only then, so a job without docs costs no extra request.
        """
        docs = [
            s.index
            for s in self.run.run_steps
            if step_runs_command(s.name, "docs") and s.status == RunStatus.SUCCESS
        ]
        if not docs:
            return None
        catalog = self.fetch(CATALOG, required=False, step=docs[-1])
        if catalog is not None:
            self.check(CATALOG, catalog, step=docs[-1])
        return catalog

    def check(self, name: str, content: bytes, *, step: int | None = None) -> dict[str, Any]:
        """Parse an artifact and check it is the dbt file its name says, before it is kept.

        Raises:
            DBTRemoteError: It is not JSON, declares no dbt schema of its kind
                (``metadata.dbt_schema_version``), or a field the runtime reads
                has the wrong shape. The message never quotes the content.
        """
        try:
            return parse_artifact(name, content)
        except ArtifactShapeError as exc:
            kind = SCHEMA_KINDS.get(name, name)
            raise DBTRemoteError(
                f"dbt Cloud sent a {name} for step {self.step if step is None else step} that "
                f"is not a dbt {kind} artifact ({exc}); nothing was cached or written to target/",
                run_id=self.run.id,
            ) from None

    def error(self) -> DBTError:
        """The error a run that ended without results becomes."""
        logs = self._log_tail()
        detail = f": {logs}" if logs else ""
        run_id, command = self.run.id, self.command
        if self.status == RunStatus.CANCELLED:
            return DBTExecutionError(
                f"dbt Cloud run {run_id} (dbt {command}) was cancelled before it finished{detail}"
            )
        if any(marker in logs for marker in _COMPILATION_MARKERS):
            return DBTCompilationError(
                f"dbt Cloud run {run_id} could not compile the project (dbt {command}){detail}"
            )
        return DBTExecutionError(
            f"dbt Cloud run {run_id} (dbt {command}) ended with status "
            f"{self.status.humanized}{detail}"
        )

    def _log_tail(self) -> str:
        steps = self.run.run_steps
        step = next((s for s in steps if s.index == self.step), None)
        if step is None:
            step = next((s for s in reversed(steps) if s.status == RunStatus.ERROR), None)
        return (step.logs or "").strip()[-_LOG_TAIL:] if step else ""


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
    # A lifecycle command's result counts seeds and snapshots too.
    metadata.update(lifecycle_metadata(COMMANDS[finished.command], document))
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
