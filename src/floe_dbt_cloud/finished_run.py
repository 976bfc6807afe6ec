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
from typing import Any

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTError,
    DBTExecutionError,
    DBTRemoteError,
)
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

__all__ = ["CATALOG", "MANIFEST", "RUN_RESULTS", "FinishedRun"]

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
