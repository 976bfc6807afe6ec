"""dbt commands as dbt Cloud job steps (``steps_override``), and selector checks.

A step is a command line that dbt Cloud runs for us, so selector text becomes
part of a command: anything that is not dbt selector syntax (a newline, ``;``,
``&&``, a backtick, a quote, a leading ``-`` that would smuggle in a flag) is
refused before it leaves the process, and ``--vars`` (a JSON document, any
text inside) is quoted as one shell word.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from floe_core.selectors import selector_members, vars_argument

__all__ = ["build_step", "step_runs_command", "steps_override", "validate_selector"]


def validate_selector(value: str, *, field: str) -> list[str]:
    """Check a ``select``/``exclude`` value and split it into its union members.

    The same check every runtime makes (:func:`floe_core.selectors.selector_members`):
    here the members become part of a command dbt Cloud runs.

    Args:
        value: The selector, e.g. ``"tag:nightly customers+"``.
        field: ``select`` or ``exclude``, for the message.

    Returns:
        The space-separated members.

    Raises:
        DBTConfigurationError: The value is empty or holds text that is not
            dbt selector syntax.

    Examples:
        >>> validate_selector("tag:nightly customers+", field="select")
        ['tag:nightly', 'customers+']
    """
    return selector_members(value, field=field)


def build_step(
    command: str,
    *,
    select: str | None = None,
    exclude: str | None = None,
    full_refresh: bool = False,
    vars: str | None = None,
) -> str:
    r"""Build one dbt command for ``steps_override``.

    Args:
        command: ``compile``, ``run``, ``test``, ``seed``, ``snapshot`` or ``build``.
        select: A dbt selector.
        exclude: A dbt selector of nodes to leave out.
        full_refresh: Add ``--full-refresh``.
        vars: The ``--vars`` document
            (:func:`floe_core.selectors.vars_argument`); dbt Cloud splits a step
            with shell rules, so it is quoted as one word.

    Returns:
        The step, e.g. ``dbt run --select customers --full-refresh``.

    Examples:
        >>> build_step("run", select="customers+", exclude="fct_orders")
        'dbt run --select customers+ --exclude fct_orders'
        >>> build_step("build", select="orders", vars='{"x": 1}')
        'dbt build --select orders --vars \'{"x": 1}\''
    """
    parts = ["dbt", command]
    if select is not None:
        parts += ["--select", *validate_selector(select, field="select")]
    if exclude is not None:
        parts += ["--exclude", *validate_selector(exclude, field="exclude")]
    if full_refresh:
        parts.append("--full-refresh")
    if vars is not None:
        parts += ["--vars", shlex.quote(vars)]
    return " ".join(parts)


def steps_override(
    command: str,
    variables: Mapping[str, Any],
    *,
    select: str | None = None,
    exclude: str | None = None,
    full_refresh: bool = False,
    always: bool,
) -> list[str] | None:
    r"""The ``steps_override`` of one call, or None to let the job run its own steps.

    Args:
        command: The dbt command.
        variables: The vars of the call (already merged and checked).
        select: A dbt selector.
        exclude: A dbt selector of nodes to leave out.
        full_refresh: Add ``--full-refresh``.
        always: Send the step even without selectors or vars (the lifecycle
            commands, whose job is not theirs alone).

    Examples:
        >>> steps_override("run", {}, always=False) is None
        True
        >>> steps_override("seed", {"x": 1}, always=True)
        ['dbt seed --vars \'{"x": 1}\'']
    """
    if not (always or variables or select is not None or exclude is not None or full_refresh):
        return None
    rendered = vars_argument(variables) if variables else None
    step = build_step(
        command, select=select, exclude=exclude, full_refresh=full_refresh, vars=rendered
    )
    return [step]


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
