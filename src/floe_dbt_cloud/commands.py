"""dbt commands as dbt Cloud job steps (``steps_override``), and selector checks.

A step is a command line that dbt Cloud runs for us, so selector text becomes
part of a command: anything that is not dbt selector syntax (a newline, ``;``,
``&&``, a backtick, a quote, a leading ``-`` that would smuggle in a flag) is
refused before it leaves the process.
"""

from __future__ import annotations

import re

from floe_core.selectors import selector_members

__all__ = ["build_step", "step_runs_command", "validate_selector"]


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
) -> str:
    """Build one dbt command for ``steps_override``.

    Args:
        command: ``compile``, ``run`` or ``test``.
        select: A dbt selector.
        exclude: A dbt selector of nodes to leave out.
        full_refresh: Add ``--full-refresh``.

    Returns:
        The step, e.g. ``dbt run --select customers --full-refresh``.

    Examples:
        >>> build_step("run", select="customers+", exclude="fct_orders")
        'dbt run --select customers+ --exclude fct_orders'
    """
    parts = ["dbt", command]
    if select is not None:
        parts += ["--select", *validate_selector(select, field="select")]
    if exclude is not None:
        parts += ["--exclude", *validate_selector(exclude, field="exclude")]
    if full_refresh:
        parts.append("--full-refresh")
    return " ".join(parts)


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
