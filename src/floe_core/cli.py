"""The ``floe`` command: validate a platform manifest, and compile / run / test through it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core.errors import DBTError
from floe_core.manifest_errors import ManifestError, ManifestProblem, line_of, load_yaml_document
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.plugin_registry import PluginLoadError, PluginRegistry
from floe_core.schemas import CloudRuntimeConfig, PlatformManifest

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
    problems = check_manifest(manifest, PluginRegistry())
    if problems:
        click.echo(f"{manifest}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(EXIT_FAILED)
    parsed = PlatformManifest.from_yaml(manifest)
    click.echo(f"{manifest}: valid (dbt runtime: {parsed.plugins.dbt_runtime})")


def check_manifest(path: Path, registry: PluginRegistry) -> list[ManifestProblem]:
    """Return every problem with a manifest file and its runtime's prerequisites.

    Args:
        path: The ``manifest.yaml``.
        registry: Where plugins are looked up.

    Returns:
        The problems, empty when the manifest is usable.
    """
    try:
        manifest = PlatformManifest.from_yaml(path)
    except ManifestError as exc:
        return exc.problems
    _, tree = load_yaml_document(path)
    plugins = manifest.plugins
    problems: list[ManifestProblem] = []

    def problem(loc: list[str | int], message: str) -> None:
        problems.append(ManifestProblem(".".join(map(str, loc)), line_of(tree, loc), message))

    try:
        registry.load_class("dbt", plugins.dbt_runtime)
    except PluginLoadError as exc:
        problem(["plugins", "dbt_runtime"], str(exc))
    try:
        secrets = registry.create_secrets(manifest)
    except (PluginLoadError, TypeError) as exc:
        problem(["plugins", "secrets", "type"], f"secrets backend unusable: {exc}")
        return problems
    config = plugins.runtime_config()
    if isinstance(config, CloudRuntimeConfig):
        try:
            secrets.get_secret(config.api_token_ref)
        except DBTError as exc:
            problem(["plugins", "dbt_runtime_config", "cloud", "api_token_ref"], str(exc))
    return problems


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
    manifest = PlatformManifest.from_yaml(manifest_path)
    return PluginRegistry().create_dbt_runtime(manifest, **options)


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
