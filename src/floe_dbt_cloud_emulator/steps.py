"""Job steps as the emulator executes them: parsed commands, and dbt through the local runtime.

Supported: every command of :mod:`floe_core.vocabulary` (the commands floe
runs), with the flags its table gives it (``--select``, ``--exclude``,
``--full-refresh``), and ``--vars`` and the run flags (``--fail-fast``/``-x``,
``--state DIR`` relative to the checked-out project, ``--defer``) on every
command.

dbt runs in-process through :class:`floe_dbt_local.LocalDBTPlugin`, whose
class-level lock keeps concurrent runs (of one or several emulators in the
same process) from corrupting dbt's global state.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from floe_core.errors import DBTCompilationError, DBTConfigurationError, DBTError
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.selectors import DbtVars, Selector
from floe_core.vocabulary import (
    COMMANDS,
    COMPILE,
    SELECTOR_OPTIONS,
    DbtArguments,
    DbtCommand,
    Option,
    RunFlags,
)

if TYPE_CHECKING:
    from floe_dbt_local import LocalDBTPlugin

__all__ = ["DbtStep", "LocalStepExecutor", "StepExecutor", "StepOutcome", "parse_step"]

# dbt's spellings of --select (the others are the vocabulary's own flags).
_SELECT_ALIASES = frozenset({"-s", "--models", "-m"})
_FLAGS = {option.flag: option for option in Option} | {"-x": Option.FAIL_FAST}


@dataclass(frozen=True)
class DbtStep:
    """A parsed ``dbt <command> [--select ...] [--exclude ...] [--full-refresh] [--vars ...]``.

    Attributes:
        text: The step as written.
        arguments: The command and its checked arguments (the ``--vars``
            text read as dbt reads it, by :meth:`DbtVars.parse`).
    """

    text: str
    arguments: DbtArguments

    @property
    def command(self) -> str:
        """The dbt command (``run``, ``seed`` ...)."""
        return self.arguments.command.name

    @property
    def select(self) -> Selector | None:
        """``--select``, its members joined by spaces."""
        return self.arguments.select

    @property
    def exclude(self) -> Selector | None:
        """``--exclude``, its members joined by spaces."""
        return self.arguments.exclude

    @property
    def full_refresh(self) -> bool:
        """``--full-refresh``."""
        return self.arguments.full_refresh

    @property
    def vars(self) -> DbtVars:
        """``--vars`` (empty without)."""
        return self.arguments.vars


def parse_step(text: str) -> DbtStep:
    """Parse one job step as dbt Cloud does: split with shell rules, then read dbt's flags.

    Which command takes which flag is :mod:`floe_core.vocabulary`'s table.

    Args:
        text: The step as configured or sent in ``steps_override``.

    Returns:
        The step.

    Raises:
        ValueError: Not a dbt command, one the emulator does not support, or
            a selector or vars that are not what dbt takes; the message says which.

    Examples:
        >>> parse_step("dbt run --select a b --full-refresh").arguments.flags()
        ['--select', 'a', 'b', '--full-refresh']
        >>> dict(parse_step("dbt seed --vars 'x: 1' --full-refresh").vars)
        {'x': 1}
    """
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot parse step {text!r}: {exc}") from None
    if len(tokens) < 2 or tokens[0] != "dbt":
        raise ValueError(f"step {text!r} is not a dbt command (it must start with 'dbt ')")
    name, rest = tokens[1], tokens[2:]
    command = COMMANDS.get(name)
    if command is None:
        raise ValueError(f"the emulator runs only {', '.join(COMMANDS)} steps, not `dbt {name}`")
    try:
        return DbtStep(text, _arguments(command, rest, text))
    except DBTConfigurationError as exc:
        raise ValueError(str(exc)) from None


def _arguments(command: DbtCommand, rest: list[str], text: str) -> DbtArguments:
    selectors: dict[Option, list[str]] = {}
    full_refresh = False
    variables: DbtVars | None = None
    switches: set[Option] = set()
    state: Path | None = None
    position = 0
    while position < len(rest):
        flag = rest[position]
        position += 1
        option = Option.SELECT if flag in _SELECT_ALIASES else _FLAGS.get(flag)
        if option is Option.FULL_REFRESH and command.takes(option):
            full_refresh = True
            continue
        if option in (Option.FAIL_FAST, Option.DEFER):
            switches.add(option)
            continue
        if option is Option.STATE and position < len(rest) and state is None:
            state = Path(rest[position])  # relative: to the checked-out project
            position += 1
            continue
        if option is Option.VARS and position < len(rest) and variables is None:
            variables = DbtVars.parse(rest[position])  # one word: its quoting kept it whole
            position += 1
            continue
        if option not in SELECTOR_OPTIONS:
            raise ValueError(f"the emulator does not support {flag!r} in `dbt {command.name}`")
        values = []
        while position < len(rest) and not rest[position].startswith("-"):
            values.append(rest[position])
            position += 1
        if not values:
            raise ValueError(f"{flag} needs a value in {text!r}")
        selectors.setdefault(option, []).extend(values)
    if command is COMPILE and selectors:
        raise ValueError("the emulator runs `dbt compile` without selectors")
    if Option.EXCLUDE in selectors and not command.takes(Option.EXCLUDE):
        raise ValueError(f"the emulator runs `dbt {command.name}` without --exclude")
    select, exclude = (
        Selector.union(selectors[option], field=option.value) if option in selectors else None
        for option in SELECTOR_OPTIONS
    )
    return DbtArguments.of(
        command,
        select=select,
        exclude=exclude,
        full_refresh=full_refresh,
        vars=variables,
        run_flags=RunFlags(Option.FAIL_FAST in switches, state, Option.DEFER in switches),
    )


@dataclass(frozen=True)
class StepOutcome:
    """How one dbt step ended, and what its log says."""

    success: bool
    logs: str


class StepExecutor(Protocol):
    """Runs one dbt command in a project directory, writing artifacts to its ``target/``."""

    def __call__(
        self, command: DbtStep, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        """Execute the command and describe the result."""


class LocalStepExecutor:
    """Executes steps with :class:`floe_dbt_local.LocalDBTPlugin` (imported on first use).

    ``--vars``, read as dbt reads it (:meth:`DbtVars.parse`), is bound with
    :meth:`~floe_dbt_local.LocalDBTPlugin.with_vars`; ``seed``, ``snapshot``
    and ``build`` go through the local runtime's lifecycle capability. The
    selectors and the vars were checked when the step was parsed and are
    passed on as they are.
    """

    def __init__(self) -> None:
        self._runtime: LocalDBTPlugin | None = None

    def _local(self) -> LocalDBTPlugin:
        if self._runtime is None:
            from floe_dbt_local import LocalDBTPlugin

            self._runtime = LocalDBTPlugin()
        return self._runtime

    def __call__(
        self, command: DbtStep, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        """Run the command; dbt errors become a failed step with dbt Cloud-like logs."""
        runtime = self._local()
        arguments = command.arguments
        flags = arguments.run_flags
        try:
            if arguments.vars:
                runtime = runtime.with_vars(arguments.vars)
            if flags.fail_fast:
                runtime = runtime.with_fail_fast()
            if flags.state is not None:  # dbt Cloud runs in the checkout: the path is in it
                runtime = runtime.with_state(project_dir / flags.state, defer=flags.defer)
            if arguments.command is COMPILE:
                manifest = runtime.compile_project(project_dir, profiles_dir, target)
                return StepOutcome(True, f"Compiled the project; wrote {manifest.name}")
            result = _run(runtime, arguments, (project_dir, profiles_dir, target))
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
        for key in arguments.command.metadata_counts:
            if key in result.metadata:
                summary += f" {key}={result.metadata[key]}"
        return StepOutcome(result.success, summary)


def _run(
    runtime: LocalDBTPlugin, arguments: DbtArguments, where: tuple[Path, Path, str]
) -> DBTRunResult:
    # The command's method, given the options it takes (the selectors are checked already,
    # so the runtime does not check them again; the vars are bound).
    options = {
        option.value: getattr(arguments, option.value)
        for option in arguments.command.options - {Option.VARS}
    }
    method = getattr(runtime, arguments.command.method)
    result: DBTRunResult = method(*where, **options)
    return result
