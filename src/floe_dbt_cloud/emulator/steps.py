"""Job steps as the emulator executes them: parsed commands, and dbt through the local runtime.

dbt runs in-process through :class:`floe_dbt_local.LocalDBTPlugin`, whose
class-level lock keeps concurrent runs (of one or several emulators in the
same process) from corrupting dbt's global state.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from floe_core.errors import DBTCompilationError, DBTError

if TYPE_CHECKING:
    from floe_core.plugin_interfaces import DBTPlugin

__all__ = ["DbtCommand", "LocalStepExecutor", "StepExecutor", "StepOutcome", "parse_step"]

_SELECT_FLAGS = frozenset({"--select", "-s", "--models", "-m"})
_SUPPORTED = ("compile", "run", "test")


@dataclass(frozen=True)
class DbtCommand:
    """A parsed ``dbt <command> [--select ...] [--exclude ...] [--full-refresh]`` step."""

    text: str
    command: str
    select: str | None = None
    exclude: str | None = None
    full_refresh: bool = False


def parse_step(text: str) -> DbtCommand:
    """Parse one job step.

    Args:
        text: The step as configured or sent in ``steps_override``.

    Returns:
        The command.

    Raises:
        ValueError: Not a dbt command, or one the emulator does not support;
            the message says which.

    Examples:
        >>> parse_step("dbt run --select a b --full-refresh")
        DbtCommand(text='dbt run --select a b --full-refresh', command='run', select='a b', \
exclude=None, full_refresh=True)
    """
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot parse step {text!r}: {exc}") from None
    if len(tokens) < 2 or tokens[0] != "dbt":
        raise ValueError(f"step {text!r} is not a dbt command (it must start with 'dbt ')")
    command, rest = tokens[1], tokens[2:]
    if command not in _SUPPORTED:
        raise ValueError(
            f"the emulator runs only {', '.join(_SUPPORTED)} steps, not `dbt {command}`"
        )
    options: dict[str, list[str]] = {}
    full_refresh = False
    position = 0
    while position < len(rest):
        flag = rest[position]
        position += 1
        if flag == "--full-refresh" and command == "run":
            full_refresh = True
            continue
        key = "select" if flag in _SELECT_FLAGS else "exclude" if flag == "--exclude" else None
        if key is None:
            raise ValueError(f"the emulator does not support {flag!r} in `dbt {command}`")
        values = []
        while position < len(rest) and not rest[position].startswith("-"):
            values.append(rest[position])
            position += 1
        if not values:
            raise ValueError(f"{flag} needs a value in {text!r}")
        options.setdefault(key, []).extend(values)
    select = " ".join(options["select"]) if "select" in options else None
    exclude = " ".join(options["exclude"]) if "exclude" in options else None
    if command == "compile" and (select or exclude):
        raise ValueError("the emulator runs `dbt compile` without selectors")
    if command == "test" and exclude:
        raise ValueError("the emulator runs `dbt test` without --exclude")
    return DbtCommand(text, command, select, exclude, full_refresh)


@dataclass(frozen=True)
class StepOutcome:
    """How one dbt step ended, and what its log says."""

    success: bool
    logs: str


class StepExecutor(Protocol):
    """Runs one dbt command in a project directory, writing artifacts to its ``target/``."""

    def __call__(
        self, command: DbtCommand, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        """Execute the command and describe the result."""


class LocalStepExecutor:
    """Executes steps with :class:`floe_dbt_local.LocalDBTPlugin` (imported on first use)."""

    def __init__(self) -> None:
        self._runtime: DBTPlugin | None = None

    def _local(self) -> DBTPlugin:
        if self._runtime is None:
            from floe_dbt_local import LocalDBTPlugin

            self._runtime = LocalDBTPlugin()
        return self._runtime

    def __call__(
        self, command: DbtCommand, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        """Run the command; dbt errors become a failed step with dbt Cloud-like logs."""
        runtime = self._local()
        try:
            if command.command == "compile":
                manifest = runtime.compile_project(project_dir, profiles_dir, target)
                return StepOutcome(True, f"Compiled the project; wrote {manifest.name}")
            if command.command == "run":
                result = runtime.run_models(
                    project_dir,
                    profiles_dir,
                    target,
                    select=command.select,
                    exclude=command.exclude,
                    full_refresh=command.full_refresh,
                )
            else:
                result = runtime.run_tests(project_dir, profiles_dir, target, select=command.select)
        except DBTCompilationError as exc:
            return StepOutcome(False, f"Compilation Error\n  {exc}")
        except DBTError as exc:
            return StepOutcome(False, f"Runtime Error\n  {exc}")
        summary = (
            f"Done. models_run={result.models_run} tests_run={result.tests_run} "
            f"failures={result.failures}"
        )
        return StepOutcome(result.success, summary)
