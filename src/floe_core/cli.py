"""Private: the ``floe`` command (validate a manifest; compile, run, test ... through it).

Use the command, not this module; its functions may change in any release.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core.errors import DBTError, ManifestError, ManifestProblem
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest

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
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _runtime(manifest_path: Path, **options: Any) -> DBTPlugin:
    registry = PluginRegistry()
    manifest = PlatformManifest.from_yaml(manifest_path, registry=registry)
    return registry.create_dbt_runtime(manifest, **options)


def _report(command: str, runtime: DBTPlugin, result: DBTRunResult, as_json: bool) -> None:
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        runtime_type = runtime.get_runtime_metadata().get("type", type(runtime).__name__)
        verdict = "succeeded" if result.success else "FAILED"
        click.echo(
            f"dbt {command} ({runtime_type}) {verdict}: {result.models_run} model(s) run, "
            f"{result.tests_run} test(s) run, {result.failures} failure(s) "
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
    no_cache: bool,
) -> None:
    """Compile the dbt project and print the manifest path."""
    try:
        runtime = _runtime(manifest_path, no_cache=no_cache)
        manifest = runtime.compile_project(project_dir, profiles_dir or project_dir, target)
    except DBTError as exc:
        _fail(exc)
        return
    click.echo(json.dumps({"manifest_path": str(manifest)}) if as_json else str(manifest))


@main.command("run")
@_dbt_options
@click.option("--select", "-s", default=None)
@click.option("--exclude", default=None)
@click.option("--full-refresh", is_flag=True)
def run_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    select: str | None,
    exclude: str | None,
    full_refresh: bool,
) -> None:
    """Run dbt models through the configured runtime."""
    try:
        runtime = _runtime(manifest_path)
        result = runtime.run_models(
            project_dir, profiles_dir or project_dir, target, select, exclude, full_refresh
        )
    except DBTError as exc:
        _fail(exc)
        return
    _report("run", runtime, result, as_json)


@main.command("test")
@_dbt_options
@click.option("--select", "-s", default=None)
def test_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    select: str | None,
) -> None:
    """Run dbt tests through the configured runtime."""
    try:
        runtime = _runtime(manifest_path)
        result = runtime.run_tests(project_dir, profiles_dir or project_dir, target, select)
    except DBTError as exc:
        _fail(exc)
        return
    _report("test", runtime, result, as_json)
