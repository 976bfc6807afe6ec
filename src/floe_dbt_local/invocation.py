"""One dbt invocation as the local runtime prepares it: its arguments and what it left behind."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dbt.cli.main import dbtRunnerResult

from floe_core.selectors import selector_members, validate_target
from floe_dbt_local.layout import ProjectLayout

__all__ = ["Call", "Invocation", "Selection"]


@dataclass(frozen=True)
class Selection:
    """What a run or test selects, as the contract's arguments give it."""

    select: str | None = None
    exclude: str | None = None
    full_refresh: bool | None = None

    def args(self) -> list[str]:
        """The dbt flags.

        Raises:
            DBTConfigurationError: A selector is not a dbt selection expression
                (e.g. it smuggles a flag such as ``--target prod``).
        """
        flags: list[str] = []
        if self.select is not None:
            flags += ["--select", *selector_members(self.select, field="select")]
        if self.exclude is not None:
            flags += ["--exclude", *selector_members(self.exclude, field="exclude")]
        if self.full_refresh:
            flags.append("--full-refresh")
        return flags


@dataclass(frozen=True)
class Call:
    """One requested dbt command: what to run, where, against which target, with which vars.

    Attributes:
        command: The dbt command (``run``, ``seed`` ...).
        project_dir: The project directory, absolute.
        profiles_dir: The profiles directory, absolute.
        target: The profile target.
        vars: The ``--vars`` document (from :func:`floe_core.selectors.vars_argument`),
            or None for no ``--vars``.
    """

    command: str
    project_dir: Path
    profiles_dir: Path
    target: str
    # Never in a repr (a traceback with locals, a debugger): it holds the secret vars.
    vars: str | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[Path, Path, str, str | None]:
        """What a parsed manifest belongs to.

        The vars are part of it: dbt renders ``var()`` in configs, ``ref``s and
        ``enabled`` while parsing, so a parse with other vars is another manifest.
        """
        return (self.project_dir, self.profiles_dir, self.target, self.vars)

    def __post_init__(self) -> None:
        validate_target(self.target)

    def args(self, command: str, *extra: str) -> list[str]:
        """The dbt arguments of ``command`` on this project, profile, target and vars."""
        return [
            command,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            "--target",
            self.target,
            *_log_args(),
            *(["--vars", self.vars] if self.vars is not None else []),
            *extra,
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
