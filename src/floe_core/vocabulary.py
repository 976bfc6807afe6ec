"""dbt's vocabulary, written once: the commands floe runs, what each takes, writes and counts.

Every runtime, the dbt Cloud emulator, the kit (its scenarios and its plain
dbt-core oracle) and the Dagster integration read this table instead of
keeping their own: which dbt command a runtime method invokes, which of
``select``, ``exclude``, ``full_refresh`` and ``vars`` it takes, which
artifacts it leaves in ``target-path``, which node types it executes and
which counts its result carries. :class:`DbtArguments` is one call's
arguments, checked once (a :class:`~floe_core.selectors.Selector` per
selector, one :class:`~floe_core.selectors.DbtVars`) and rendered once for
dbt, as a command line (:meth:`DbtArguments.flags`) or as the one shell line
a remote service runs (:meth:`DbtArguments.command_line`).

Examples:
    >>> COMMANDS["run"].method
    'run_models'
    >>> DbtArguments.of("run", select="orders+", full_refresh=True).flags()
    ['--select', 'orders+', '--full-refresh']
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from floe_core.artifacts import MANIFEST_JSON, RUN_RESULTS_JSON
from floe_core.errors import DBTConfigurationError
from floe_core.selectors import DbtVars, Selector

__all__ = [
    "BUILD",
    "COMMANDS",
    "COMPILE",
    "CONTRACT_COMMANDS",
    "LIFECYCLE_COMMANDS",
    "LIFECYCLE_COUNT_KEYS",
    "RESULT_COUNTS",
    "RUN",
    "RUN_FLAG_OPTIONS",
    "SEED",
    "SELECTOR_OPTIONS",
    "SNAPSHOT",
    "TEST",
    "DbtArguments",
    "DbtCommand",
    "Option",
    "RunFlags",
    "command_for_method",
    "command_for_resource_type",
    "resource_types",
]

#: The counts every result of a command that executes nodes carries (``DBTRunResult`` fields).
RESULT_COUNTS = ("models_run", "tests_run", "failures")
#: The ``metadata`` counts of a lifecycle command's result.
LIFECYCLE_COUNT_KEYS = ("seeds_run", "snapshots_run")


class Option(str, Enum):
    """A keyword argument of a runtime method that becomes a dbt flag."""

    SELECT = "select"
    EXCLUDE = "exclude"
    FULL_REFRESH = "full_refresh"
    VARS = "vars"
    FAIL_FAST = "fail_fast"
    STATE = "state"
    DEFER = "defer"

    @property
    def flag(self) -> str:
        """The dbt flag: ``--select``, ``--exclude``, ``--full-refresh``, ``--vars`` ..."""
        return "--" + self.value.replace("_", "-")


#: The options that are dbt selectors.
SELECTOR_OPTIONS = (Option.SELECT, Option.EXCLUDE)
#: The options a runtime binds (``with_fail_fast``, ``with_state``): they reach every command.
RUN_FLAG_OPTIONS = (Option.FAIL_FAST, Option.STATE, Option.DEFER)


@dataclass(frozen=True)
class RunFlags:
    """Run flags a runtime binds for every invocation: ``--fail-fast``, ``--state``, ``--defer``.

    The fail-fast and state capabilities (:mod:`floe_core.run_flags`) bind
    them, as ``with_vars`` binds vars; the seven methods keep the signatures
    the spec fixes.

    Attributes:
        fail_fast: ``--fail-fast`` (``-x``): stop at the first failure; what did
            not run is ``skipped``.
        state: ``--state DIR``: the directory holding the ``manifest.json``
            that ``state:`` selectors compare with (and ``--defer`` defers to).
        defer: ``--defer``: unselected parents that this target has not
            built resolve to their relations in the state's manifest.

    Examples:
        >>> RunFlags(fail_fast=True, state=Path("prod"), defer=True).flags()
        ['--fail-fast', '--state', 'prod', '--defer']
    """

    fail_fast: bool = False
    state: Path | None = None
    defer: bool = False

    def __post_init__(self) -> None:
        if self.state is not None and not isinstance(self.state, Path):
            raise DBTConfigurationError(
                f"state must be a directory path, got {type(self.state).__name__}"
            )
        if self.defer and self.state is None:
            raise DBTConfigurationError(
                "defer needs a state directory to defer to (dbt's --defer reads --state)"
            )

    def __bool__(self) -> bool:
        return bool(self.fail_fast or self.state is not None or self.defer)

    def flags(self) -> list[str]:
        """The dbt flags, in the order dbt's help lists them."""
        flags = [Option.FAIL_FAST.flag] if self.fail_fast else []
        if self.state is not None:
            flags += [Option.STATE.flag, str(self.state)]
        if self.defer:
            flags.append(Option.DEFER.flag)
        return flags

    def span_options(self) -> dict[str, Any]:
        """What a span records of them (only the ones set)."""
        found: dict[str, Any] = {}
        if self.fail_fast:
            found["fail_fast"] = True
        if self.state is not None:
            found["state"] = str(self.state)
            found["defer"] = self.defer
        return found

    def described(self) -> list[str]:
        """The names of the flags set, for a repr or metadata (``['fail_fast', 'state']``)."""
        return [option.value for option in RUN_FLAG_OPTIONS if getattr(self, option.value)]


@dataclass(frozen=True)
class DbtCommand:
    """One dbt command floe runs, and the runtime method that runs it.

    Attributes:
        name: dbt's name of the command (``dbt <name>``).
        method: The runtime method (``DBTPlugin`` or ``DBTLifecycle``) that invokes it.
        options: The method's keyword arguments besides project, profiles and
            target. Vars bound with ``with_vars`` reach every command all the
            same (see :attr:`flags`).
        artifacts: What it leaves in ``target-path``.
        resource_types: The node types it executes (``compile`` executes none).
        lifecycle: Whether it belongs to the lifecycle capability.
    """

    name: str
    method: str
    options: frozenset[Option]
    artifacts: tuple[str, ...]
    resource_types: tuple[str, ...]
    lifecycle: bool = False

    @property
    def flags(self) -> frozenset[Option]:
        """The options its dbt command line may carry: its own, ``vars`` and the run flags.

        Vars (bound or given) and the run flags (bound: :class:`RunFlags`)
        reach every command.
        """
        return self.options | {Option.VARS, *RUN_FLAG_OPTIONS}

    @property
    def counts(self) -> tuple[str, ...]:
        """The counts its result carries: :data:`RESULT_COUNTS` (none for ``compile``)."""
        return RESULT_COUNTS if self.resource_types else ()

    @property
    def metadata_counts(self) -> tuple[str, ...]:
        """The counts its result's ``metadata`` carries: :data:`LIFECYCLE_COUNT_KEYS` or none."""
        return LIFECYCLE_COUNT_KEYS if self.lifecycle else ()

    def takes(self, option: Option) -> bool:
        """Whether its method takes ``option`` as a keyword argument."""
        return option in self.options


_SELECTION = frozenset({Option.SELECT, Option.EXCLUDE})
_WRITES = (MANIFEST_JSON, RUN_RESULTS_JSON)

COMPILE = DbtCommand("compile", "compile_project", frozenset(), (MANIFEST_JSON,), ())
RUN = DbtCommand("run", "run_models", _SELECTION | {Option.FULL_REFRESH}, _WRITES, ("model",))
TEST = DbtCommand("test", "run_tests", frozenset({Option.SELECT}), _WRITES, ("test", "unit_test"))
SEED = DbtCommand(
    "seed", "seed", _SELECTION | {Option.FULL_REFRESH, Option.VARS}, _WRITES, ("seed",), True
)
SNAPSHOT = DbtCommand(
    "snapshot", "snapshot", _SELECTION | {Option.VARS}, _WRITES, ("snapshot",), True
)
BUILD = DbtCommand(
    "build",
    "build",
    _SELECTION | {Option.FULL_REFRESH, Option.VARS},
    _WRITES,
    tuple(kind for command in (RUN, SEED, SNAPSHOT, TEST) for kind in command.resource_types),
    True,
)

#: The contract's commands (``DBTPlugin``), in the order a project is brought up.
CONTRACT_COMMANDS = (COMPILE, RUN, TEST)
#: The lifecycle capability's commands (``DBTLifecycle``).
LIFECYCLE_COMMANDS = (SEED, SNAPSHOT, BUILD)
#: Every command floe runs, by dbt's name.
COMMANDS: Mapping[str, DbtCommand] = MappingProxyType(
    {command.name: command for command in (*CONTRACT_COMMANDS, *LIFECYCLE_COMMANDS)}
)
_BY_METHOD = {command.method: command for command in COMMANDS.values()}
# The commands that execute one node type each (build executes them all).
_SINGLE = {
    kind: command for command in (RUN, TEST, SEED, SNAPSHOT) for kind in command.resource_types
}


def command_for_method(method: str) -> DbtCommand | None:
    """The command a runtime method invokes, ``None`` for a method that invokes none.

    Examples:
        >>> command_for_method("run_tests").name
        'test'
    """
    return _BY_METHOD.get(method)


def command_for_resource_type(resource_type: str) -> DbtCommand:
    """The command that executes nodes of one type and no other (``model`` -> ``run``).

    Raises:
        KeyError: No command executes that node type.

    Examples:
        >>> command_for_resource_type("unit_test").name
        'test'
    """
    return _SINGLE[resource_type]


def resource_types(*commands: DbtCommand) -> frozenset[str]:
    """The node types some commands execute.

    Examples:
        >>> sorted(resource_types(SEED, SNAPSHOT))
        ['seed', 'snapshot']
    """
    return frozenset(kind for command in commands for kind in command.resource_types)


def _command(command: DbtCommand | str) -> DbtCommand:
    if isinstance(command, DbtCommand):
        return command
    try:
        return COMMANDS[command]
    except KeyError:
        raise DBTConfigurationError(
            f"floe runs dbt {', '.join(COMMANDS)}, not `dbt {command}`"
        ) from None


@dataclass(frozen=True)
class DbtArguments:
    """One call's dbt arguments, checked once, rendered once for dbt.

    Build it with :meth:`of`, which checks each selector
    (:class:`~floe_core.selectors.Selector`) and the vars
    (:class:`~floe_core.selectors.DbtVars`) unless they are checked already.

    Attributes:
        command: The command.
        select: The selector, ``None`` for everything.
        exclude: The selector of nodes to leave out.
        full_refresh: ``--full-refresh``.
        vars: The vars (a call's merged over bound ones); empty for no ``--vars``.
        run_flags: The bound run flags (``--fail-fast``, ``--state``, ``--defer``).
    """

    command: DbtCommand
    select: Selector | None = None
    exclude: Selector | None = None
    full_refresh: bool = False
    vars: DbtVars = field(default_factory=lambda: DbtVars.EMPTY)
    run_flags: RunFlags = field(default_factory=RunFlags)

    @classmethod
    def of(
        cls,
        command: DbtCommand | str,
        *,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
        run_flags: RunFlags | None = None,
    ) -> DbtArguments:
        """Check a call's arguments.

        Raises:
            DBTConfigurationError: A selector is not a dbt selection
                expression, the vars are not vars, or the command is not one
                floe runs or does not take an option that was given.
        """
        checked = _command(command)
        given = {
            Option.SELECT: select is not None,
            Option.EXCLUDE: exclude is not None,
            Option.FULL_REFRESH: bool(full_refresh),
        }
        refused = [
            option.flag for option, used in given.items() if used and option not in checked.options
        ]
        if refused:
            raise DBTConfigurationError(f"dbt {checked.name} takes no {', '.join(refused)} here")
        return cls(
            checked,
            Selector.of(select, field="select"),
            Selector.of(exclude, field="exclude"),
            bool(full_refresh),
            DbtVars.of(vars),
            run_flags or RunFlags(),
        )

    def flags(self) -> list[str]:
        """The dbt flags, for an argument list (``dbtRunner().invoke``): vars in clear.

        Examples:
            >>> DbtArguments.of("seed", exclude="a b", vars={"x": 1}).flags()
            ['--exclude', 'a', 'b', '--vars', '{"x": 1}']
        """
        flags: list[str] = []
        for option in SELECTOR_OPTIONS:
            selector: Selector | None = getattr(self, option.value)
            if selector is not None:
                flags += [option.flag, *selector.members]
        if self.full_refresh:
            flags.append(Option.FULL_REFRESH.flag)
        flags += self.run_flags.flags()
        if self.vars:
            flags += [Option.VARS.flag, self.vars.render()]
        return flags

    def command_line(self) -> str:
        r"""``dbt <command> <flags>`` as one shell line (a dbt Cloud job step): vars in clear.

        Selector members are written as they are (selector syntax holds no
        shell metacharacter); the ``--state`` directory and the ``--vars``
        document, any text inside, are quoted as one shell word each.

        Examples:
            >>> DbtArguments.of("build", select="orders", vars={"x": 1}).command_line()
            'dbt build --select orders --vars \'{"x": 1}\''
        """
        flags = self.flags()
        if self.vars:
            flags[-1] = shlex.quote(flags[-1])
        if self.run_flags.state is not None:
            at = flags.index(Option.STATE.flag) + 1
            flags[at] = shlex.quote(flags[at])
        return " ".join(["dbt", self.command.name, *flags])

    def span_options(self) -> dict[str, Any]:
        """What the call's ``floe.dbt.<command>`` span records (``dbt_span``'s keywords).

        ``full_refresh`` only for a command that takes it; never the vars.
        """
        refresh = self.full_refresh if self.command.takes(Option.FULL_REFRESH) else None
        return {
            "select": None if self.select is None else str(self.select),
            "exclude": None if self.exclude is None else str(self.exclude),
            "full_refresh": refresh,
            **self.run_flags.span_options(),
        }
