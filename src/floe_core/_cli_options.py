"""Private: the options of the ``floe`` dbt commands, each checked as it is read.

Use the command, not this module; its functions may change in any release.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core.errors import DBTConfigurationError
from floe_core.secrets import validate_secret_ref
from floe_core.selectors import DbtVars

__all__ = [
    "dbt_options",
    "exclude_option",
    "full_refresh_option",
    "secret_var_refs",
    "select_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def _parse_vars(_: click.Context, __: click.Parameter, value: str | None) -> DbtVars | None:
    """``--vars``: a YAML or JSON mapping, as dbt takes it, of JSON values (checked once)."""
    if value is None:
        return None
    try:
        return DbtVars.parse(value)
    except DBTConfigurationError as exc:
        raise click.BadParameter(str(exc)) from None


_META_KEY = "floe_secret_vars"
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _parse_secret_vars(ctx: click.Context, _: click.Parameter, values: tuple[str, ...]) -> None:
    """``--secret-var NAME=REF``: a var whose value the secrets backend holds, never argv."""
    refs: dict[str, str] = {}
    for given in values:
        name, equals, ref = given.partition("=")
        if not equals or not _VAR_NAME.fullmatch(name):
            raise click.BadParameter(
                "must be NAME=REFERENCE, a var name and a secret reference, e.g. "
                "--secret-var api_key=partner-api-key"
            )
        if name in refs:
            raise click.BadParameter(f"the var {name} is given twice")
        try:
            refs[name] = validate_secret_ref(ref)
        except DBTConfigurationError as exc:
            raise click.BadParameter(str(exc)) from None
    ctx.meta[_META_KEY] = refs


def dbt_options(command: _F) -> _F:
    options = [
        click.option(
            "--manifest",
            "manifest_path",
            type=click.Path(path_type=Path, dir_okay=False),
            default=Path("manifest.yaml"),
            show_default=True,
            help="The platform manifest that selects the dbt runtime.",
        ),
        click.option(
            "--project-dir", type=click.Path(path_type=Path, file_okay=False), default=Path(".")
        ),
        click.option(
            "--profiles-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Defaults to the project directory.",
        ),
        click.option("--target", default="dev", show_default=True),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.option(
            "--vars",
            "dbt_vars",
            callback=_parse_vars,
            default=None,
            help="Variables for dbt, a YAML or JSON mapping: --vars '{start_date: 2024-01-01}'. "
            "Needs a runtime with the lifecycle capability.",
        ),
        click.option(
            "--secret-var",
            multiple=True,
            metavar="NAME=REF",
            callback=_parse_secret_vars,
            expose_value=False,
            help="A secret var (repeatable): NAME gets the secret REF of the manifest's "
            "secrets backend; its value is never printed, logged or written by floe.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def select_option(command: _F) -> _F:
    return click.option("--select", "-s", default=None, help="A dbt selector.")(command)


def exclude_option(command: _F) -> _F:
    return click.option("--exclude", default=None, help="A dbt selector to leave out.")(command)


def full_refresh_option(command: _F) -> _F:
    return click.option("--full-refresh", is_flag=True)(command)


def secret_var_refs(ctx: click.Context) -> dict[str, str]:
    """The ``--secret-var`` NAME -> secret reference pairs of the running command."""
    refs: dict[str, str] = ctx.meta.get(_META_KEY, {})
    return refs
