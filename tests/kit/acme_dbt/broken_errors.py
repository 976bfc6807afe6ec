"""Variants that break the error model: which class, what message, what it shows."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dbt_common.exceptions import CompilationError

from floe_core.errors import DBTCompilationError, DBTExecutionError
from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


def _exception(outcome: Any) -> BaseException | None:
    return getattr(outcome, "exception", None)


class WrongExceptionType(AcmeRuntime):
    """Every error dbt reports is a DBTExecutionError."""

    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        error = _exception(outcome)
        if error is not None:
            raise DBTExecutionError(f"dbt failed in {project_dir}: {error}") from error
        super()._raise_for(outcome, command, project_dir)


class ExecutionAsCompilation(AcmeRuntime):
    """Every error dbt reports is a DBTCompilationError."""

    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        error = _exception(outcome)
        if error is not None:
            raise DBTCompilationError(f"dbt failed in {project_dir}: {error}") from error
        super()._raise_for(outcome, command, project_dir)


class ParseErrorAsResult(AcmeRuntime):
    """A project that does not parse is a failed result of run_models / run_tests."""

    def _execute(
        self, command: str, project_dir: Path, profiles_dir: Path, target: str, **options: Any
    ) -> DBTRunResult:
        try:
            return super()._execute(command, project_dir, profiles_dir, target, **options)
        except DBTCompilationError as exc:
            if not isinstance(exc.__cause__, CompilationError):
                raise
            path = project_dir / "target" / "run_results.json"
            return DBTRunResult(
                success=False,
                manifest_path=project_dir / "target" / "manifest.json",
                run_results_path=path,
                execution_time_seconds=0.01,
                models_run=0,
                tests_run=0,
                failures=1,
            )


class IgnoresTarget(AcmeRuntime):
    """Always runs against the profile's default target, whatever it is asked."""

    def _target(self, target: str) -> str:
        return "dev"


class GenericMessage(AcmeRuntime):
    """Raises the right class with a message that says nothing."""

    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        try:
            super()._raise_for(outcome, command, project_dir)
        except (DBTCompilationError, DBTExecutionError) as exc:
            raise type(exc)("dbt failed") from exc


class SecretInError(AcmeRuntime):
    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        try:
            super()._raise_for(outcome, command, project_dir)
        except (DBTCompilationError, DBTExecutionError) as exc:
            raise type(exc)(f"{exc} (as {self._token})") from exc


class ResolvesProjectDir(AcmeRuntime):
    """Resolves the project directory before dbt sees it: a loop of links escapes as is."""

    def _arguments(self, command: str, project_dir: Path, *rest: Any) -> list[str]:
        resolved = Path(project_dir).resolve()  # RuntimeError (OSError from 3.13) on a loop
        return super()._arguments(command, resolved, *rest)


class HashesProjectFiles(AcmeRuntime):
    """Fingerprints the model files before each call: one it cannot read escapes as OSError."""

    def _arguments(self, command: str, project_dir: Path, *rest: Any) -> list[str]:
        digest = hashlib.sha256()
        for path in sorted(Path(project_dir).glob("models/**/*.sql")):
            digest.update(path.read_bytes())
        return super()._arguments(command, project_dir, *rest)
