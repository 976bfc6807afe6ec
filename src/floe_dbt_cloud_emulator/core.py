"""DbtCloudEmulator: accounts, projects, jobs and runs behind the ASGI app.

Each project added becomes an environment with three jobs (``dbt compile``,
``dbt run``, ``dbt test``). Its files are copied into the emulator's own
workspace at every run, as dbt Cloud clones the repository, and the packages
it declares are installed into that copy by a ``dbt deps`` step, as dbt Cloud
does at the start of every run (:mod:`~floe_dbt_cloud_emulator.packages`). The
caller's ``profiles_dir`` is used as is: its DuckDB path is absolute, so the
effects of a run land in the caller's database file.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml

from floe_core.vocabulary import CONTRACT_COMMANDS, DbtArguments
from floe_dbt_cloud_emulator.app import build_app
from floe_dbt_cloud_emulator.counters import Counters
from floe_dbt_cloud_emulator.discovery import EnvironmentState
from floe_dbt_cloud_emulator.faults import FaultPlan
from floe_dbt_cloud_emulator.packages import PackageSource
from floe_dbt_cloud_emulator.request_log import RequestLog
from floe_dbt_cloud_emulator.runs import RunContext, RunRecord, StepRecord, execute_run
from floe_dbt_cloud_emulator.steps import LocalStepExecutor, StepExecutor
from floe_dbt_cloud_emulator.transport import SyncASGITransport

__all__ = ["DbtCloudEmulator", "EmulatedProject"]

_NOT_CLONED = shutil.ignore_patterns(
    "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal", ".user.yml"
)
# One job per command of the contract, running that command alone.
_DEFAULT_JOBS = {
    command.name: DbtArguments(command).command_line() for command in CONTRACT_COMMANDS
}


@dataclass(frozen=True)
class EmulatedProject:
    """A project served by the emulator: its environment and the ids of its jobs.

    Attributes:
        environment_id: The environment (Discovery's ``environment(id:)``).
        job_ids: ``{"compile": id, "run": id, "test": id}`` for manifest.yaml.
        project_id: The dbt Cloud project id.
        name: The dbt project's name.
    """

    environment_id: int
    job_ids: dict[str, int]
    project_id: int
    name: str


@dataclass
class _Environment:
    id: int
    project_id: int
    source_dir: Path
    profiles_dir: Path
    target: str
    repository: Path
    lock: threading.Lock
    state: EnvironmentState

    def sync_repository(self) -> Path:
        # A fresh "clone" at every run (keeping target/ for partial parsing):
        # an edited model is never run stale, a deleted one is gone.
        self.repository.mkdir(parents=True, exist_ok=True)
        for child in self.repository.iterdir():
            if child.name == "target":
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        # A git checkout keeps a symbolic link a link: never follow one (it may loop).
        shutil.copytree(
            self.source_dir,
            self.repository,
            symlinks=True,
            ignore=_NOT_CLONED,
            dirs_exist_ok=True,
        )
        return self.repository


@dataclass(frozen=True)
class _Job:
    id: int
    environment_id: int
    steps: tuple[str, ...]
    name: str


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


class DbtCloudEmulator:
    """A dbt Cloud stand-in: Admin API v2 and a Discovery subset, running real dbt.

    Args:
        account_id: The one account it serves.
        token: The API token it accepts (``Token`` or ``Bearer``); random when None.
        step_delay_seconds: Pause between status changes and steps, to observe them.
        executor: Runs dbt steps; the local runtime by default.
        package_index: Whether a run's ``dbt deps`` step may fetch a package the
            project has not installed from the dbt package hub or git (it needs
            the network); ``local:`` packages and installed copies never do
            (:mod:`~floe_dbt_cloud_emulator.packages`).

    Examples:
        >>> emulator = DbtCloudEmulator()  # doctest: +SKIP
        >>> project = emulator.add_project(copy.project_dir, copy.profiles_dir)  # doctest: +SKIP
        >>> with serve_emulator(emulator) as server:  # doctest: +SKIP
        ...     print(server.base_url, project.job_ids)
    """

    def __init__(
        self,
        account_id: int = 1,
        token: str | None = None,
        step_delay_seconds: float = 0.0,
        *,
        executor: StepExecutor | None = None,
        package_index: bool = True,
    ) -> None:
        if step_delay_seconds < 0:
            raise ValueError("step_delay_seconds must be >= 0")
        self.account_id = account_id
        self.token = token if token is not None else f"dbtc_emu_{secrets.token_urlsafe(24)}"
        self.step_delay_seconds = step_delay_seconds
        self.package_index = package_index
        self.counters = Counters()
        self.requests = RequestLog()
        # Answers of the emulator's own that broke the API document (a bug; tests assert none).
        self.api_violations: list[str] = []
        self.faults = FaultPlan()
        self.runs: dict[int, RunRecord] = {}
        self.jobs: dict[int, _Job] = {}
        self.environments: dict[int, EnvironmentState] = {}
        self._environments: dict[int, _Environment] = {}
        self._executor: StepExecutor = executor or LocalStepExecutor()
        self._workspace = Path(tempfile.mkdtemp(prefix="floe-dbt-cloud-emulator-"))
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()
        self._waits_aborted = threading.Event()
        self._project_ids = itertools.count(101)
        self._environment_ids = itertools.count(201)
        self._job_ids = itertools.count(301)
        self._run_ids = itertools.count(1001)
        self.app = build_app(self)

    def __repr__(self) -> str:
        return (
            f"DbtCloudEmulator(account_id={self.account_id}, projects={len(self._environments)}, "
            f"runs={len(self.runs)})"
        )

    def __enter__(self) -> DbtCloudEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add_project(
        self, project_dir: Path, profiles_dir: Path, target: str = "dev"
    ) -> EmulatedProject:
        """Serve a dbt project, with a compile, a run and a test job.

        Args:
            project_dir: The project to copy at each run (never modified).
            profiles_dir: The profile runs use, in place.
            target: The profile target the environment runs against.

        Returns:
            The environment and job ids to configure the runtime with.

        Raises:
            FileNotFoundError: ``project_dir`` has no ``dbt_project.yml``.
        """
        project_dir, profiles_dir = Path(project_dir).resolve(), Path(profiles_dir).resolve()
        settings = _read_yaml(project_dir / "dbt_project.yml")
        if not settings:
            raise FileNotFoundError(f"{project_dir} has no readable dbt_project.yml")
        name = str(settings.get("name", project_dir.name))
        profile = _read_yaml(profiles_dir / "profiles.yml").get(settings.get("profile", name), {})
        output = (profile.get("outputs") or {}).get(target) or {}
        with self._lock:
            environment_id = next(self._environment_ids)
            project_id = next(self._project_ids)
            state = EnvironmentState(environment_id, name, str(output.get("type", "unknown")))
            self.environments[environment_id] = state
            self._environments[environment_id] = _Environment(
                id=environment_id,
                project_id=project_id,
                source_dir=project_dir,
                profiles_dir=profiles_dir,
                target=target,
                repository=self._workspace / f"environment-{environment_id}" / "repository",
                lock=threading.Lock(),
                state=state,
            )
        job_ids = {
            key: self.add_job(environment_id, [step], name=f"{name} {key}")
            for key, step in _DEFAULT_JOBS.items()
        }
        return EmulatedProject(environment_id, job_ids, project_id, name)

    def add_job(self, environment_id: int, steps: list[str], *, name: str | None = None) -> int:
        """Configure another job of an environment (e.g. ``["dbt run", "dbt test"]``).

        Returns:
            The new job id.
        """
        if environment_id not in self._environments:
            raise KeyError(f"no environment {environment_id}; add_project() first")
        if not steps:
            raise ValueError("a job needs at least one step")
        with self._lock:
            job_id = next(self._job_ids)
            self.jobs[job_id] = _Job(job_id, environment_id, tuple(steps), name or f"job {job_id}")
        return job_id

    def transport(self) -> httpx.BaseTransport:
        """A synchronous httpx transport onto :attr:`app`, for in-process clients.

        Use it with base URL :data:`~floe_dbt_cloud_emulator.transport.IN_PROCESS_BASE_URL`
        and :data:`~floe_dbt_cloud_emulator.transport.IN_PROCESS_DISCOVERY_URL`
        (https URLs that the runtime accepts; routes only look at the path, and
        no request leaves the process)::

            DBTCloudPlugin(str(emulator.account_id), SecretStr(emulator.token),
                           IN_PROCESS_BASE_URL, project.job_ids,
                           discovery_url=IN_PROCESS_DISCOVERY_URL,
                           transport=emulator.transport())
        """
        return SyncASGITransport(self.app)

    def get_run(self, run_id: int) -> RunRecord:
        """The record of a run (status, steps, ``finished_monotonic`` ...), for tests."""
        return self.runs[run_id]

    def start_run(self, job_id: int, body: Mapping[str, Any], *, base_url: str) -> dict[str, Any]:
        """Create a run of a job and start carrying it out in a thread (the API calls this).

        Args:
            job_id: The job.
            body: The trigger's body, as the API document's ``TriggerRunRequestRequest``
                accepted it.
            base_url: Where the run's ``href`` points.

        Returns:
            The run as the trigger endpoint answers it: queued, as it was
            before its thread could move it on.
        """
        job = self.jobs[job_id]
        environment = self._environments[job.environment_id]
        outcome, missing = self.faults.take_run_faults(job_id)
        queue_delay = self.faults.take_queue_delay()
        with self._lock:
            if self._closing.is_set():
                raise RuntimeError("the emulator is closed")
            run = RunRecord(
                id=next(self._run_ids),
                account_id=self.account_id,
                job_id=job_id,
                environment_id=environment.id,
                project_id=environment.project_id,
                steps_to_run=list(body.get("steps_override") or job.steps),
                cause=str(body["cause"]),
                steps_override=body.get("steps_override"),
                outcome_fault=outcome,
                missing_artifacts=missing,
                queued_seconds=queue_delay,
            )
            self.runs[run.id] = run
            context = RunContext(
                sync_repository=environment.sync_repository,
                profiles_dir=environment.profiles_dir,
                target=body.get("target_name_override") or environment.target,
                artifacts_dir=self._workspace / "artifacts",
                project_lock=environment.lock,
                executor=self._executor,
                step_delay_seconds=self.step_delay_seconds,
                on_step_artifacts=self._record_step,
                scrub=self._scrub,
                packages=PackageSource(environment.source_dir, self.package_index),
            )
            thread = threading.Thread(
                target=execute_run, args=(run, context), name=f"dbt-cloud-run-{run.id}", daemon=True
            )
            self._threads.append(thread)
            queued = run.to_api(base_url, include_steps=False)
        self.counters.record_run()
        thread.start()
        return queued

    def list_runs(self) -> list[RunRecord]:
        """Every run so far, in creation order (a copy: handlers add runs on other threads)."""
        with self._lock:
            return list(self.runs.values())

    def latest_job_artifact(self, job_id: int, name: str) -> Path | None:
        """The artifact of the job's latest finished run that saved it."""
        candidates = self.list_runs()
        runs = sorted(
            (run for run in candidates if run.job_id == job_id and run.is_terminal),
            key=lambda run: run.id,
            reverse=True,
        )
        return next((path for run in runs if (path := run.artifact(name, None))), None)

    def wait_for_runs(self, timeout: float | None = None) -> None:
        """Block until every run thread has finished (tests call this before asserting)."""
        for thread in list(self._threads):
            thread.join(timeout)

    async def wait_unless_closing(self, seconds: float) -> None:
        """Sleep ``seconds`` on the server's loop; wake up early when the server stops."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._waits_aborted.is_set() and loop.time() < deadline:
            await asyncio.sleep(min(0.05, max(deadline - loop.time(), 0)))

    def abort_waits(self) -> None:
        """End every hanging request now (the server is stopping)."""
        self._waits_aborted.set()

    def resume_waits(self) -> None:
        """Let hang faults hang again (the server is starting)."""
        self._waits_aborted.clear()

    def close(self) -> None:
        """Cancel unfinished runs, wait for their threads and delete the workspace."""
        self.abort_waits()
        with self._lock:
            self._closing.set()
            runs = list(self.runs.values())
        for run in runs:
            run.cancel_requested.set()
        self.wait_for_runs()
        shutil.rmtree(self._workspace, ignore_errors=True)

    def _scrub(self, content: bytes) -> bytes:
        # dbt copies its command line into run_results.json: a `--token` on it must not be
        # served back. The token as written, and as JSON escapes it.
        for form in {self.token, json.dumps(self.token)[1:-1]}:
            content = content.replace(form.encode(), b"**********")
        return content

    def _record_step(self, run: RunRecord, step: StepRecord) -> None:
        documents: dict[str, Any] = {}
        # Discovery's execution info comes from nodes that ran; `dbt compile`
        # writes run results too, but runs nothing.
        wanted = (
            ["manifest.json"]
            if "`dbt compile" in step.name
            else ["manifest.json", "run_results.json"]
        )
        for name in wanted:
            path = step.artifacts.get(name)
            if path is not None:
                try:
                    documents[name] = json.loads(path.read_bytes())
                except (OSError, ValueError):
                    documents[name] = None
        self.environments[run.environment_id].apply(
            run_id=run.id,
            finished_at=datetime.now(timezone.utc).isoformat(),
            manifest=documents.get("manifest.json"),
            run_results=documents.get("run_results.json"),
        )
