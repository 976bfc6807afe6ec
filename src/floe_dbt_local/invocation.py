"""One dbt invocation as the local runtime prepares it: its arguments and what it left behind."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dbt.cli.main import dbtRunnerResult

from floe_core.selectors import validate_target
from floe_core.vocabulary import DbtArguments
from floe_dbt_local.layout import ProjectLayout

__all__ = ["Call", "Invocation"]


@dataclass(frozen=True)
class Call:
    """One requested dbt command: what to run, where, against which target, with which arguments.

    Attributes:
        arguments: The command and its checked selectors, ``--full-refresh``
            and vars (rendered once, by :meth:`DbtVars.render`).
        project_dir: The project directory, absolute.
        profiles_dir: The profiles directory, absolute.
        target: The profile target.
    """

    # Never in a repr (a traceback with locals, a debugger): its vars hold the secret vars.
    arguments: DbtArguments = field(repr=False)
    project_dir: Path
    profiles_dir: Path
    target: str

    @property
    def command(self) -> str:
        """The dbt command (``run``, ``seed`` ...)."""
        return self.arguments.command.name

    @property
    def vars_document(self) -> str | None:
        """The ``--vars`` document, ``None`` for no vars; it holds the secret vars: dbt's only."""
        return self.arguments.vars.render() if self.arguments.vars else None

    @property
    def key(self) -> tuple[Path, Path, str, str | None]:
        """What a parsed manifest belongs to.

        The vars are part of it: dbt renders ``var()`` in configs, ``ref``s and
        ``enabled`` while parsing, so a parse with other vars is another manifest.
        """
        return (self.project_dir, self.profiles_dir, self.target, self.vars_document)

    def __post_init__(self) -> None:
        validate_target(self.target)

    def args(self, command: str | None = None) -> list[str]:
        """The dbt arguments of this call, or of ``command`` (``parse``) with its vars."""
        own = command is None
        # Another command (a parse ahead of this one) gets the vars, not the selection.
        arguments = (
            self.arguments
            if own
            else DbtArguments(self.arguments.command, vars=self.arguments.vars)
        )
        return [
            self.command if own else str(command),
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target",
            self.target,
            *_log_args(),
            *arguments.flags(),
        ]


@dataclass(frozen=True)
class Invocation:
    """What one finished dbt invocation left behind."""

    command: str
    target: str
    layout: ProjectLayout
    result: dbtRunnerResult
    invocation_id: str | None
    manifest_reused: bool
    seconds: float


def _log_args() -> list[str]:
    # dbt's console output would duplicate the events routed to logging (and
    # pollute the host's stdout). `--log-level` also sets the file's level
    # unless that is given, so the log file keeps dbt's default (or the user's
    # DBT_LOG_LEVEL_FILE) explicitly. Colours would put ANSI codes into the
    # messages of the log records.
    return [
        "--no-use-colors",
        "--log-level",
        "none",
        "--log-level-file",
        os.environ.get("DBT_LOG_LEVEL_FILE") or "debug",
    ]
