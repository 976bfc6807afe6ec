"""Job steps as the emulator executes them: parsed commands, and dbt through the local runtime.

Supported: ``dbt compile``, ``run``, ``test``, ``seed``, ``snapshot`` and
``build`` with ``--select``, ``--exclude`` and ``--full-refresh`` where dbt
takes them, and ``--vars`` on every command.

dbt runs in-process through :class:`floe_dbt_local.LocalDBTPlugin`, whose
class-level lock keeps concurrent runs (of one or several emulators in the
same process) from corrupting dbt's global state.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from floe_core.errors import DBTCompilationError, DBTError
from floe_core.plugin_interfaces import DBTRunResult

if TYPE_CHECKING:
    from floe_dbt_local import LocalDBTPlugin

__all__ = ["DbtCommand", "LocalStepExecutor", "StepExecutor", "StepOutcome", "parse_step"]

_SELECT_FLAGS = frozenset({"--select", "-s", "--models", "-m"})
_SUPPORTED = ("compile", "run", "test", "seed", "snapshot", "build")
# What each command accepts, as dbt does (compile and test without --exclude here).
_EXCLUDES = frozenset({"run", "seed", "snapshot", "build"})
_REFRESHES = frozenset({"run", "seed", "build"})


@dataclass(frozen=True)
class DbtCommand:
    """A parsed ``dbt <command> [--select ...] [--exclude ...] [--full-refresh] [--vars ...]``.

    Attributes:
        vars: The ``--vars`` text as dbt would read it (a YAML mapping), if any.
    """

    text: str
    command: str
    select: str | None = None
    exclude: str | None = None
    full_refresh: bool = False
    vars: str | None = None


def parse_step(text: str) -> DbtCommand:
    """Parse one job step as dbt Cloud does: split with shell rules, then read dbt's flags.

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
exclude=None, full_refresh=True, vars=None)
        >>> parse_step("dbt seed --vars 'x: 1' --full-refresh").vars
        'x: 1'
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
    variables: str | None = None
    position = 0
    while position < len(rest):
        flag = rest[position]
        position += 1
        if flag == "--full-refresh" and command in _REFRESHES:
            full_refresh = True
            continue
        if flag == "--vars" and position < len(rest) and variables is None:
            variables = rest[position]  # one word: its quoting kept it whole
            position += 1
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
    if exclude and command not in _EXCLUDES:
        raise ValueError(f"the emulator runs `dbt {command}` without --exclude")
    return DbtCommand(text, command, select, exclude, full_refresh, variables)


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
    """Executes steps with :class:`floe_dbt_local.LocalDBTPlugin` (imported on first use).

    ``--vars`` is read as dbt reads it (YAML) and bound with
    :meth:`~floe_dbt_local.LocalDBTPlugin.with_vars`; ``seed``, ``snapshot``
    and ``build`` go through the local runtime's lifecycle capability.
    """

    def __init__(self) -> None:
        self._runtime: LocalDBTPlugin | None = None

    def _local(self) -> LocalDBTPlugin:
        if self._runtime is None:
            from floe_dbt_local import LocalDBTPlugin

            self._runtime = LocalDBTPlugin()
        return self._runtime

    def __call__(
        self, command: DbtCommand, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        """Run the command; dbt errors become a failed step with dbt Cloud-like logs."""
        runtime = self._local()
        where = (project_dir, profiles_dir, target)
        try:
            if command.vars is not None:
                runtime = runtime.with_vars(_read_vars(command.vars))
            if command.command == "compile":
                manifest = runtime.compile_project(*where)
                return StepOutcome(True, f"Compiled the project; wrote {manifest.name}")
            result = _run(runtime, command, where)
        except ValueError as exc:
            return StepOutcome(False, f"Runtime Error\n  {exc}")
        except DBTCompilationError as exc:
            return StepOutcome(False, f"Compilation Error\n  {exc}")
        except DBTError as exc:
            return StepOutcome(False, f"Runtime Error\n  {exc}")
        summary = (
            f"Done. models_run={result.models_run} tests_run={result.tests_run} "
            f"failures={result.failures}"
        )
        for key in ("seeds_run", "snapshots_run"):
            if key in result.metadata:
                summary += f" {key}={result.metadata[key]}"
        return StepOutcome(result.success, summary)


def _read_vars(text: str) -> dict[str, Any]:
    # dbt reads --vars as a YAML mapping.
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"--vars is not YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError("--vars must be a YAML mapping of variable names to values")
    return document


def _run(
    runtime: LocalDBTPlugin, command: DbtCommand, where: tuple[Path, Path, str]
) -> DBTRunResult:
    select, exclude, refresh = command.select, command.exclude, command.full_refresh
    if command.command == "run":
        return runtime.run_models(*where, select=select, exclude=exclude, full_refresh=refresh)
    if command.command == "test":
        return runtime.run_tests(*where, select=select)
    if command.command == "seed":
        return runtime.seed(*where, select=select, exclude=exclude, full_refresh=refresh)
    if command.command == "snapshot":
        return runtime.snapshot(*where, select=select, exclude=exclude)
    return runtime.build(*where, select=select, exclude=exclude, full_refresh=refresh)
