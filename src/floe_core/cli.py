"""Private: the ``floe`` command (validate a manifest; compile, run, test, seed ... through it).

Use the command, not this module; its functions may change in any release.
"""

from __future__ import annotations

import json
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core._credentials import shown
from floe_core._yaml import YamlProblem, load_yaml
from floe_core.errors import DBTConfigurationError, DBTError, ManifestError, ManifestProblem
from floe_core.lifecycle import LIFECYCLE_COUNT_KEYS, DBTLifecycle, supports_lifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_core.selectors import validate_selector, validate_target, vars_argument

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


@click.group()
@click.version_option(package_name="floe-dbt")
def main() -> None:
    """floe: run dbt through the runtime the platform team configured."""


@main.command()
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
def validate(manifest: Path) -> None:
    """Validate MANIFEST (a manifest.yaml) and the chosen runtime's prerequisites."""
    registry = PluginRegistry()
    problems = check_manifest(manifest, registry)
    if problems:
        click.echo(f"{manifest}: {len(problems)} problem(s)", err=True)
        for problem in problems[: ManifestError.LISTED]:
            click.echo(f"  - {problem}", err=True)
        if len(problems) > ManifestError.LISTED:
            click.echo(f"  ... and {len(problems) - ManifestError.LISTED} more", err=True)
        sys.exit(EXIT_FAILED)
    runtime = PlatformManifest.read(manifest).plugins.dbt_runtime
    click.echo(f"{manifest}: valid (dbt runtime: {runtime})")


def check_manifest(path: Path, registry: PluginRegistry) -> list[ManifestProblem]:
    """Return every problem with a manifest file and its runtime's prerequisites.

    Args:
        path: The ``manifest.yaml``.
        registry: Where plugins are looked up.

    Returns:
        The problems, empty when the manifest is usable.
    """
    try:
        manifest = PlatformManifest.read(path)
    except ManifestError as exc:
        return exc.problems
    return registry.check_manifest(manifest, resolve_secrets=True)


_F = TypeVar("_F", bound=Callable[..., Any])


def _parse_vars(_: click.Context, __: click.Parameter, value: str | None) -> dict[str, Any] | None:
    """``--vars``: a YAML or JSON mapping, as dbt takes it, of JSON values."""
    if value is None:
        return None
    try:
        document, _tree = load_yaml(value, shown_key=lambda key: shown(key, what="key"))
    except YamlProblem as exc:
        raise click.BadParameter(f"not a YAML or JSON mapping: {exc.reason}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise click.BadParameter(
            "must be a YAML or JSON mapping of variable names to values, "
            "e.g. --vars '{start_date: 2024-01-01}'"
        )
    try:
        vars_argument(document)
    except DBTConfigurationError as exc:
        raise click.BadParameter(str(exc)) from None
    return document


def _dbt_options(command: _F) -> _F:
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
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _select_option(command: _F) -> _F:
    return click.option("--select", "-s", default=None, help="A dbt selector.")(command)


def _exclude_option(command: _F) -> _F:
    return click.option("--exclude", default=None, help="A dbt selector to leave out.")(command)


def _full_refresh_option(command: _F) -> _F:
    return click.option("--full-refresh", is_flag=True)(command)


class _Invocation:
    """One ``floe`` dbt command: the runtime the manifest names, and the checked arguments."""

    def __init__(
        self,
        manifest_path: Path,
        project_dir: Path,
        profiles_dir: Path | None,
        target: str,
        **options: Any,
    ) -> None:
        registry = PluginRegistry()
        manifest = PlatformManifest.from_yaml(manifest_path, registry=registry)
        self.name = manifest.plugins.dbt_runtime
        self.runtime = registry.create_dbt_runtime(manifest, **options)
        self.project_dir = project_dir
        self.profiles_dir = profiles_dir or project_dir
        self.target = validate_target(target)

    def lifecycle(self, needed_for: str) -> DBTLifecycle:
        """The runtime as a :class:`DBTLifecycle`, or the error that says it is not one."""
        if not supports_lifecycle(self.runtime):
            raise DBTConfigurationError(
                f"the dbt runtime {self.name!r} ({type(self.runtime).__name__}) does not have "
                f"the lifecycle capability (seed, snapshot, build and --vars), which "
                f"{needed_for} needs; use a runtime that declares it (floe_core.DBTLifecycle)"
            )
        return typing.cast(DBTLifecycle, self.runtime)

    def with_vars(self, dbt_vars: dict[str, Any] | None, command: str) -> DBTPlugin:
        """The runtime, bound to ``dbt_vars`` when there are any."""
        if dbt_vars is None:
            return self.runtime
        bound = self.lifecycle(f"`floe {command} --vars`").with_vars(dbt_vars)
        return typing.cast(DBTPlugin, bound)


def _selection(select: str | None, exclude: str | None = None) -> None:
    validate_selector(select, field="select")
    validate_selector(exclude, field="exclude")


def _report(command: str, runtime: DBTPlugin, result: DBTRunResult, as_json: bool) -> None:
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        runtime_type = runtime.get_runtime_metadata().get("type", type(runtime).__name__)
        verdict = "succeeded" if result.success else "FAILED"
        lifecycle = "".join(
            f", {result.metadata[key]} {key.removesuffix('s_run')}(s)"
            for key in LIFECYCLE_COUNT_KEYS
            if key in result.metadata
        )
        click.echo(
            f"dbt {command} ({runtime_type}) {verdict}: {result.models_run} model(s) run, "
            f"{result.tests_run} test(s) run, {result.failures} failure(s){lifecycle} "
            f"in {result.execution_time_seconds:.2f} s"
        )
        click.echo(f"  manifest:    {result.manifest_path}")
        click.echo(f"  run results: {result.run_results_path}")
    sys.exit(EXIT_OK if result.success else EXIT_FAILED)


def _fail(exc: DBTError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("compile")
@_dbt_options
@click.option("--no-cache", is_flag=True, help="Bypass and refresh the remote artifact cache.")
def compile_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: dict[str, Any] | None,
    no_cache: bool,
) -> None:
    """Compile the dbt project and print the manifest path."""
    try:
        call = _Invocation(manifest_path, project_dir, profiles_dir, target, no_cache=no_cache)
        runtime = call.with_vars(dbt_vars, "compile")
        manifest = runtime.compile_project(call.project_dir, call.profiles_dir, call.target)
    except DBTError as exc:
        _fail(exc)
        return
    click.echo(json.dumps({"manifest_path": str(manifest)}) if as_json else str(manifest))


@main.command("run")
@_dbt_options
@_select_option
@_exclude_option
@_full_refresh_option
def run_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: dict[str, Any] | None,
    select: str | None,
    exclude: str | None,
    full_refresh: bool,
) -> None:
    """Run dbt models through the configured runtime."""
    try:
        _selection(select, exclude)
        call = _Invocation(manifest_path, project_dir, profiles_dir, target)
        runtime = call.with_vars(dbt_vars, "run")
        result = runtime.run_models(
            call.project_dir, call.profiles_dir, call.target, select, exclude, full_refresh
        )
    except DBTError as exc:
        _fail(exc)
        return
    _report("run", runtime, result, as_json)


@main.command("test")
@_dbt_options
@_select_option
def test_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: dict[str, Any] | None,
    select: str | None,
) -> None:
    """Run dbt tests through the configured runtime."""
    try:
        _selection(select)
        call = _Invocation(manifest_path, project_dir, profiles_dir, target)
        runtime = call.with_vars(dbt_vars, "test")
        result = runtime.run_tests(call.project_dir, call.profiles_dir, call.target, select)
    except DBTError as exc:
        _fail(exc)
        return
    _report("test", runtime, result, as_json)


def _lifecycle_command(name: str, summary: str, *, full_refresh: bool) -> None:
    """Register ``floe <name>``: the capability's method of that name, with the run flags."""

    def command(
        manifest_path: Path,
        project_dir: Path,
        profiles_dir: Path | None,
        target: str,
        as_json: bool,
        dbt_vars: dict[str, Any] | None,
        select: str | None,
        exclude: str | None,
        **flags: bool,
    ) -> None:
        try:
            _selection(select, exclude)
            call = _Invocation(manifest_path, project_dir, profiles_dir, target)
            method = getattr(call.lifecycle(f"`floe {name}`"), name)
            result = method(
                call.project_dir,
                call.profiles_dir,
                call.target,
                select=select,
                exclude=exclude,
                vars=dbt_vars,
                **flags,
            )
        except DBTError as exc:
            _fail(exc)
            return
        _report(name, call.runtime, result, as_json)

    command.__doc__ = f"{summary} (needs the lifecycle capability)."
    # Decorators apply bottom-up: the flags are listed as on `floe run`.
    decorated = _full_refresh_option(command) if full_refresh else command
    main.command(name)(_dbt_options(_select_option(_exclude_option(decorated))))


_lifecycle_command("seed", "Load the project's seeds", full_refresh=True)
_lifecycle_command("snapshot", "Record the snapshots' changes", full_refresh=False)
_lifecycle_command("build", "Seed, snapshot, run and test in DAG order", full_refresh=True)
