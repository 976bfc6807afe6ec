"""Emulated runs: their state as the API shows it, and the thread that carries one out.

A run walks 1 queued -> 2 starting -> 3 running -> 10/20/30 like dbt Cloud's,
with steps named as dbt Cloud names them ("Clone Git Repository", "Invoke dbt
with `dbt deps`" when the project declares packages, "Invoke dbt with `dbt
run`"), and keeps the real artifacts each dbt step wrote.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from floe_dbt_cloud_emulator.faults import RunOutcome
from floe_dbt_cloud_emulator.live_log import streaming_step_log
from floe_dbt_cloud_emulator.packages import (
    DEPS_STEP,
    PackageSource,
    declares_packages,
    install_packages,
)
from floe_dbt_cloud_emulator.statuses import TERMINAL_STATUSES, RunStatus
from floe_dbt_cloud_emulator.steps import StepExecutor, StepOutcome, parse_step

__all__ = ["ARTIFACT_NAMES", "RunRecord", "StepRecord", "execute_run"]

ARTIFACT_NAMES = ("manifest.json", "run_results.json", "catalog.json")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class StepRecord:
    """One step of an emulated run."""

    index: int
    name: str
    status: int = RunStatus.RUNNING
    logs: str = ""
    artifacts: dict[str, Path] = field(default_factory=dict)

    def append_log(self, line: str) -> None:
        """Add to the log while the step runs (the handler calling it holds its own lock)."""
        self.logs += line

    def to_api(self, run: RunRecord) -> dict[str, Any]:
        """The step as ``run_steps[]`` shows it."""
        return {
            "id": run.id * 100 + self.index,
            "run_id": run.id,
            "account_id": run.account_id,
            "index": self.index,
            "name": self.name,
            "status": self.status,
            "status_humanized": RunStatus(self.status).humanized,
            "logs": self.logs,
        }


@dataclass
class RunRecord:
    """An emulated run; the worker thread writes it, request handlers read it."""

    id: int
    account_id: int
    job_id: int
    environment_id: int
    project_id: int
    steps_to_run: list[str]
    cause: str
    steps_override: list[str] | None = None
    outcome_fault: RunOutcome | None = None
    missing_artifacts: frozenset[str] = frozenset()
    queued_seconds: float = 0.0
    status: int = RunStatus.QUEUED
    created_at: str = field(default_factory=_now)
    dequeued_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    finished_monotonic: float | None = None
    steps: list[StepRecord] = field(default_factory=list)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def is_terminal(self) -> bool:
        """True once the run succeeded, failed or was cancelled."""
        return self.status in TERMINAL_STATUSES

    def fault_described(self) -> str | None:
        """The faults programmed into this run, in a few words (for the request log)."""
        faults = [
            *([f"queued {self.queued_seconds:g}s"] if self.queued_seconds else []),
            *([self.outcome_fault] if self.outcome_fault else []),
            *(f"no {name}" for name in sorted(self.missing_artifacts)),
        ]
        return ", ".join(faults) or None

    def to_api(
        self, base_url: str, *, include_steps: bool, include_trigger: bool = False
    ) -> dict[str, Any]:
        """The run as ``GET runs/{id}/`` returns it (``run_steps``, ``trigger`` when asked for)."""
        with self.lock:
            status = RunStatus(self.status)
            data: dict[str, Any] = {
                "id": self.id,
                "trigger_id": self.id,
                "account_id": self.account_id,
                "environment_id": self.environment_id,
                "project_id": self.project_id,
                "job_definition_id": self.job_id,
                "job_id": self.job_id,
                "status": int(status),
                "status_humanized": status.humanized,
                "status_message": None,
                "dbt_version": _dbt_version(),
                "git_branch": "main",
                "git_sha": None,
                "created_at": self.created_at,
                "updated_at": self.finished_at or self.started_at or self.created_at,
                "dequeued_at": self.dequeued_at,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "in_progress": status in (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING),
                "is_complete": self.is_terminal,
                "is_success": status == RunStatus.SUCCESS,
                "is_error": status == RunStatus.ERROR,
                "is_cancelled": status == RunStatus.CANCELLED,
                "is_running": status == RunStatus.RUNNING,
                "artifacts_saved": self.is_terminal and any(s.artifacts for s in self.steps),
                "href": f"{base_url}/#/accounts/{self.account_id}/runs/{self.id}/",
            }
            if include_steps:
                data["run_steps"] = [step.to_api(self) for step in self.steps]
            if include_trigger:
                data["trigger"] = _present(
                    {
                        "id": self.id,
                        "cause": self.cause,
                        "job_definition_id": self.job_id,
                        "steps_override": self.steps_override,
                    }
                )
            return _present(data)

    def artifact(self, name: str, step: int | None) -> Path | None:
        """The file a step saved (the last step's when ``step`` is None), if any."""
        with self.lock:
            if not self.is_terminal or not self.steps:
                return None
            chosen: StepRecord | None = self.steps[-1]
            if step is not None:
                chosen = next((s for s in self.steps if s.index == step), None)
            return None if chosen is None else chosen.artifacts.get(name)

    def artifact_names(self) -> list[str]:
        """Every artifact path the run saved."""
        with self.lock:
            if not self.is_terminal:
                return []
            return sorted({name for step in self.steps for name in step.artifacts})

    def _set_status(self, status: RunStatus) -> None:
        with self.lock:
            self.status = status
            if status == RunStatus.STARTING:
                self.dequeued_at = _now()
            elif status == RunStatus.RUNNING:
                self.started_at = _now()
            elif status in TERMINAL_STATUSES:
                self.finished_at = _now()
                self.finished_monotonic = time.monotonic()

    def _add_step(self, name: str) -> StepRecord:
        with self.lock:
            step = StepRecord(index=len(self.steps) + 1, name=name)
            self.steps.append(step)
            return step


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """Without the fields that have no value yet.

    The API document types ``started_at``, ``finished_at``, ``git_sha`` and the
    like as strings, never null (dbt Cloud itself has been seen sending null);
    leaving out what is not known yet is what the document allows, and a
    client must cope with both.
    """
    return {key: value for key, value in data.items() if value is not None}


def _dbt_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("dbt-core")
    except Exception:  # any metadata problem just means "unknown"
        return None


@dataclass(frozen=True)
class RunContext:
    """Where a run executes: the environment's repository copy and its profile."""

    sync_repository: Callable[[], Path]
    profiles_dir: Path
    target: str
    artifacts_dir: Path
    project_lock: threading.Lock
    executor: StepExecutor
    step_delay_seconds: float
    on_step_artifacts: Callable[[RunRecord, StepRecord], None]
    # Applied to each artifact kept: dbt writes its command line, which may hold the
    # emulator's own token (`--token`), into run_results.json.
    scrub: Callable[[bytes], bytes] = field(repr=False)
    # Where `dbt deps` finds the project's packages; None: the run installs none.
    packages: PackageSource | None = None


def _pause(run: RunRecord, seconds: float) -> bool:
    """Wait between states; True when a cancel arrived meanwhile."""
    return run.cancel_requested.wait(seconds) if seconds > 0 else run.cancel_requested.is_set()


def execute_run(run: RunRecord, context: RunContext) -> None:
    """Carry a run through its statuses and steps (the body of the run's thread)."""
    delay = context.step_delay_seconds
    if _pause(run, delay + run.queued_seconds):
        return run._set_status(RunStatus.CANCELLED)
    run._set_status(RunStatus.STARTING)
    if _pause(run, delay):
        return run._set_status(RunStatus.CANCELLED)
    run._set_status(RunStatus.RUNNING)
    with context.project_lock:
        clone = run._add_step("Clone Git Repository")
        if run.outcome_fault == "error":
            clone.logs = "Failed to clone repository: fatal: could not read from remote repository"
            clone.status = RunStatus.ERROR
            return run._set_status(RunStatus.ERROR)
        try:
            repository = context.sync_repository()
        except (OSError, shutil.Error) as exc:  # the run fails; its thread must not die silently
            clone.logs = f"Failed to clone repository: {exc}"
            clone.status = RunStatus.ERROR
            return run._set_status(RunStatus.ERROR)
        clone.logs, clone.status = f"Cloned repository into {repository.name}", RunStatus.SUCCESS
        profile = run._add_step("Create Profile from Connection")
        profile.logs, profile.status = f"Using target {context.target}", RunStatus.SUCCESS
        if run.outcome_fault == "cancelled":
            return run._set_status(RunStatus.CANCELLED)
        if run.outcome_fault == "never_finishes":
            run.cancel_requested.wait()
            return run._set_status(RunStatus.CANCELLED)
        if context.packages is not None and declares_packages(repository):
            # dbt Cloud installs the project's packages before the job's commands.
            if _pause(run, delay):
                return run._set_status(RunStatus.CANCELLED)
            deps = run._add_step(f"Invoke dbt with `{DEPS_STEP}`")
            outcome = _install(repository, context.packages)
            deps.logs = outcome.logs
            deps.status = RunStatus.SUCCESS if outcome.success else RunStatus.ERROR
            if not outcome.success:
                return run._set_status(RunStatus.ERROR)
        for text in run.steps_to_run:
            if _pause(run, delay):
                return run._set_status(RunStatus.CANCELLED)
            step = run._add_step(f"Invoke dbt with `{text}`")
            with streaming_step_log(step.append_log, repository):
                outcome = _run_step(text, repository, context)
            _collect_artifacts(run, step, repository, context)
            step.logs += outcome.logs  # after dbt's lines, as dbt Cloud's log ends
            step.status = RunStatus.SUCCESS if outcome.success else RunStatus.ERROR
            if run.cancel_requested.is_set():
                return run._set_status(RunStatus.CANCELLED)
            if not outcome.success:
                return run._set_status(RunStatus.ERROR)
    run._set_status(RunStatus.SUCCESS)


def _run_step(text: str, repository: Path, context: RunContext) -> StepOutcome:
    target_dir = repository / "target"
    for name in ARTIFACT_NAMES:
        # A step that fails early must not appear to have written the previous step's files.
        (target_dir / name).unlink(missing_ok=True)
    try:
        command = parse_step(text)
    except ValueError as exc:
        return StepOutcome(False, f"Invalid step: {exc}")
    try:
        return context.executor(command, repository, context.profiles_dir, context.target)
    except Exception as exc:  # an emulator bug must fail the run, not kill its thread silently
        return StepOutcome(False, f"Internal Error: {type(exc).__name__}: {exc}")


def _install(repository: Path, packages: PackageSource) -> StepOutcome:
    try:
        return install_packages(repository, packages)
    except Exception as exc:  # an emulator bug must fail the run, not kill its thread silently
        return StepOutcome(False, f"Internal Error: {type(exc).__name__}: {exc}")


def _collect_artifacts(
    run: RunRecord, step: StepRecord, repository: Path, context: RunContext
) -> None:
    destination = context.artifacts_dir / str(run.id) / str(step.index)
    for name in ARTIFACT_NAMES:
        source = repository / "target" / name
        if name in run.missing_artifacts or not source.is_file():
            continue
        destination.mkdir(parents=True, exist_ok=True)
        (destination / name).write_bytes(context.scrub(source.read_bytes()))
        step.artifacts[name] = destination / name
    context.on_step_artifacts(run, step)
