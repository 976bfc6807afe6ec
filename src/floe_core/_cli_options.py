"""Private: the options of the ``floe`` dbt commands, each checked as it is read.

Use the command, not this module; its functions may change in any release.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core._console import output_options
from floe_core.errors import DBTConfigurationError
from floe_core.secrets import validate_secret_ref
from floe_core.selectors import DbtVars

__all__ = [
    "PROFILES_DIR_HELP",
    "dbt_options",
    "exclude_option",
    "full_refresh_option",
    "run_flag_options",
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


PROFILES_DIR_HELP = (
    "The directory of profiles.yml (or $DBT_PROFILES_DIR). Default: the project directory "
    "when it has a profiles.yml, else dbt's default (the working directory when it has one, "
    "else ~/.dbt)."
)


def _project_dir() -> Path:
    """The working directory or its nearest parent with a dbt_project.yml (dbt's default)."""
    here = Path.cwd()
    return next(
        (path for path in (here, *here.parents) if (path / "dbt_project.yml").is_file()), here
    )


def dbt_options(command: _F) -> _F:
    """The options every dbt command takes, named and defaulted as dbt's own where they match."""
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
            "--project-dir",
            type=click.Path(path_type=Path, file_okay=False),
            envvar="DBT_PROJECT_DIR",
            default=_project_dir,
            show_default="the working directory, or its nearest parent with a dbt_project.yml",
            help="The dbt project's directory (or $DBT_PROJECT_DIR), as dbt's --project-dir.",
        ),
        click.option(
            "--profiles-dir",
            type=click.Path(path_type=Path, file_okay=False),
            envvar="DBT_PROFILES_DIR",
            default=None,
            help=PROFILES_DIR_HELP,
        ),
        click.option(
            "--target",
            "-t",
            envvar="DBT_TARGET",
            default="dev",
            show_default=True,
            help="The profile's target to run against (or $DBT_TARGET). Unlike dbt, whose "
            "default is the profile's own 'target:', floe's is dev.",
        ),
        click.option(
            "--json",
            "as_json",
            is_flag=True,
            help="Print the result as JSON on stdout (dbt's progress then goes to stderr).",
        ),
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
    return typing.cast(_F, output_options(command))


def select_option(command: _F) -> _F:
    """``--select`` / ``-s``, as dbt's."""
    return click.option(
        "--select",
        "-s",
        default=None,
        help="A dbt selection expression: the nodes to run, e.g. -s 'orders+ tag:nightly'.",
    )(command)


def exclude_option(command: _F) -> _F:
    """``--exclude``, as dbt's."""
    return click.option(
        "--exclude", default=None, help="A dbt selection expression: the nodes to leave out."
    )(command)


def full_refresh_option(command: _F) -> _F:
    """``--full-refresh``, as dbt's."""
    return click.option(
        "--full-refresh",
        is_flag=True,
        help="Rebuild incremental models (and reload seeds) from scratch, as dbt's --full-refresh.",
    )(command)


def secret_var_refs(ctx: click.Context) -> dict[str, str]:
    """The ``--secret-var`` NAME -> secret reference pairs of the running command."""
    refs: dict[str, str] = ctx.meta.get(_META_KEY, {})
    return refs


def run_flag_options(command: _F) -> _F:
    """``-x/--fail-fast``, ``--state`` and ``--defer``, as dbt's (and its environment variables)."""
    options = [
        click.option(
            "--fail-fast",
            "-x",
            is_flag=True,
            envvar="DBT_FAIL_FAST",
            help="Stop at the first failure, as dbt's -x: what did not run is skipped. Needs a "
            "runtime with the fail-fast capability.",
        ),
        click.option(
            "--state",
            type=click.Path(path_type=Path, file_okay=False),
            envvar="DBT_STATE",
            default=None,
            help="The directory of the manifest.json that state: selectors compare with (and "
            "--defer defers to), as dbt's --state. Needs a runtime with the state capability.",
        ),
        click.option(
            "--defer",
            is_flag=True,
            envvar="DBT_DEFER",
            help="Resolve unselected parents this target has not built to their relations in "
            "the --state manifest, as dbt's --defer.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
