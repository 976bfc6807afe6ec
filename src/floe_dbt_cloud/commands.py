"""dbt commands as dbt Cloud job steps (``steps_override``), and reading dbt Cloud's step names.

A step is a command line that dbt Cloud runs for us, so selector text becomes
part of a command: the call's arguments are checked once
(:class:`floe_core.vocabulary.DbtArguments`: anything that is not dbt
selector syntax, such as a newline, ``;``, ``&&``, a backtick, a quote or a
leading ``-`` that would smuggle in a flag, is refused before it leaves the
process) and rendered once, by :meth:`~floe_core.vocabulary.DbtArguments.command_line`,
where ``--vars`` (a JSON document, any text inside) is quoted as one shell word.
"""

from __future__ import annotations

import re
from pathlib import Path

from floe_core.errors import DBTConfigurationError
from floe_core.vocabulary import DbtArguments, RunFlags

__all__ = ["step_run_flags", "step_runs_command", "steps_override"]


def step_run_flags(flags: RunFlags, project_dir: Path) -> RunFlags:
    """The bound run flags as a job step names them: the state directory relative to the project.

    dbt Cloud runs the project's repository (the emulator: a copy of the
    project), so ``--state`` can only name a directory of the project.

    Raises:
        DBTConfigurationError: The state directory is not inside ``project_dir``.

    Examples:
        >>> step_run_flags(RunFlags(state=Path("/p/prod"), defer=True), Path("/p")).flags()
        ['--state', 'prod', '--defer']
    """
    if flags.state is None:
        return flags
    project = Path(project_dir).absolute()
    try:
        relative = flags.state.relative_to(project)
    except ValueError:
        raise DBTConfigurationError(
            f"state directory {flags.state} is not inside the project {project}: dbt Cloud runs "
            "the project's repository, so --state must name a directory of it (or configure "
            "deferral on the dbt Cloud job)"
        ) from None
    return RunFlags(flags.fail_fast, relative, flags.defer)


def steps_override(arguments: DbtArguments) -> list[str] | None:
    r"""The ``steps_override`` of one call, or None to let the job run its own steps.

    The lifecycle commands always send their step (their job is not theirs
    alone); the contract's commands only when there is something to say
    (a selector, ``--full-refresh`` or vars).

    Examples:
        >>> steps_override(DbtArguments.of("run")) is None
        True
        >>> steps_override(DbtArguments.of("seed", vars={"x": 1}))
        ['dbt seed --vars \'{"x": 1}\'']
    """
    if arguments.command.lifecycle or arguments.flags():
        return [arguments.command_line()]
    return None


def step_runs_command(step_name: str, command: str) -> bool:
    """Tell whether a run step (by its dbt Cloud name) invoked ``dbt <command>``.

    dbt Cloud names a command step "Invoke dbt with `dbt run --select x`".

    Examples:
        >>> step_runs_command("Invoke dbt with `dbt run --select x`", "run")
        True
        >>> step_runs_command("Invoke dbt with `dbt run-operation m`", "run")
        False
    """
    match = re.search(r"`dbt\s+([a-z-]+)", step_name)
    return match is not None and match.group(1) == command
