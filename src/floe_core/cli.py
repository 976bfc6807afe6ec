"""Private: the ``floe`` command (validate a manifest; compile, run, test, seed ... through it).

Use the command, not this module; its functions may change in any release.
"""

from __future__ import annotations

import contextlib
import json
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from floe_core._cli_options import (
    dbt_options,
    exclude_option,
    full_refresh_option,
    run_flag_options,
    secret_var_refs,
    select_option,
)
from floe_core._console import console, current_console
from floe_core._runtimes import describe_runtimes
from floe_core.artifacts import failed_nodes, read_json_artifact
from floe_core.errors import DBTConfigurationError, DBTError, ManifestError, ManifestProblem
from floe_core.lifecycle import LIFECYCLE_COUNT_KEYS, DBTLifecycle, supports_lifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.plugin_registry import PluginRegistry
from floe_core.run_flags import bind_run_flags
from floe_core.schemas import PlatformManifest
from floe_core.selectors import DbtVars, Selector, validate_selector, validate_target
from floe_core.vocabulary import BUILD, SEED, SNAPSHOT, DbtCommand, Option

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


EXIT_CODES = f"""\b
Exit codes:
  {EXIT_OK}  the command succeeded (every node ran and passed; the manifest is valid)
  {EXIT_FAILED}  dbt ran and a node failed (a model error, a failing test), or the
     manifest has problems (floe validate)
  {EXIT_ERROR}  dbt could not run at all (no project, a bad profile, a runtime that
     cannot be built), or the command line is wrong (click's usage errors)
"""


@click.group(epilog=EXIT_CODES)
@click.version_option(package_name="floe-dbt")
def main() -> None:
    """floe: run dbt through the runtime the platform team configured.

    Each dbt command (compile, run, test, seed, snapshot, build) reads the
    platform manifest (--manifest, default ./manifest.yaml), builds the dbt
    runtime it names and runs dbt there, printing dbt's progress as dbt does.
    """


@main.command(epilog=EXIT_CODES)
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option(
    "--manifest",
    "manifest_option",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The platform manifest to validate (as on every other command; the positional "
    "MANIFEST still works). Default: manifest.yaml.",
)
def validate(manifest: Path | None, manifest_option: Path | None) -> None:
    """Validate MANIFEST (a manifest.yaml) and the chosen runtime's prerequisites."""
    if manifest is not None and manifest_option is not None and manifest != manifest_option:
        raise click.UsageError(
            f"two manifests given: {manifest} and --manifest {manifest_option}; give one"
        )
    manifest = manifest or manifest_option or Path("manifest.yaml")
    registry = PluginRegistry()
    with console(click.get_current_context(), err=True):  # a placeholder's warning, say
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
    return registry.check_manifest(manifest, resolve_secrets=True) or _placeholder(
        manifest, registry
    )


def _placeholder(manifest: PlatformManifest, registry: PluginRegistry) -> list[ManifestProblem]:
    """A runtime that implements nothing (REQ-089's placeholder) is not a usable choice.

    Asked as the kit asks: a runtime whose metadata raises ``NotImplementedError``.
    """
    name = manifest.plugins.dbt_runtime
    try:
        runtime = registry.create_dbt_runtime(manifest)
    except DBTError as exc:
        return [manifest.source.problem(["plugins", "dbt_runtime"], str(exc))]
    try:
        runtime.get_runtime_metadata()
    except NotImplementedError as exc:
        message = (
            f"the dbt runtime {name!r} is a placeholder that runs nothing yet: "
            f"{exc or 'NotImplementedError'}; choose another dbt runtime"
        )
        return [manifest.source.problem(["plugins", "dbt_runtime"], message)]
    finally:
        close = getattr(runtime, "close", None)
        if callable(close):
            close()
    return []


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
        self._registry, self._manifest = registry, manifest
        self.project_dir = project_dir
        self.profiles_dir = profiles_dir or default_profiles_dir(project_dir)
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

    def variables(self, dbt_vars: DbtVars | None) -> DbtVars | None:
        """``--vars`` and the ``--secret-var`` values (``SecretStr``, from the secrets backend)."""
        refs = secret_var_refs(click.get_current_context())
        if not refs:
            return dbt_vars
        given_twice = sorted(set(refs) & set(dbt_vars or {}))
        if given_twice:
            raise DBTConfigurationError(
                f"the var {given_twice[0]} is given by --vars and by --secret-var; give it once"
            )
        backend = self._registry.create_secrets(self._manifest)
        secret = {name: backend.get_secret(ref) for name, ref in refs.items()}
        return DbtVars.of(dbt_vars).merged(secret)

    def with_vars(self, dbt_vars: DbtVars | None, command: str) -> DBTPlugin:
        """The runtime, bound to ``dbt_vars`` (and the secret vars) when there are any."""
        variables = self.variables(dbt_vars)
        if variables is None:
            return self.runtime
        bound = self.lifecycle(f"`floe {command} --vars`").with_vars(variables)
        return typing.cast(DBTPlugin, bound)

    def with_flags(
        self, runtime: DBTPlugin, fail_fast: bool, state: Path | None, defer: bool
    ) -> Any:
        """``runtime`` bound to ``-x``, ``--state`` and ``--defer`` when they are given."""
        return bind_run_flags(
            runtime, fail_fast=fail_fast, state=state, defer=defer, name=self.name
        )


def _selection(
    select: str | None, exclude: str | None = None
) -> tuple[Selector | None, Selector | None]:
    # Checked once, before the runtime is built; the runtime does not check them again.
    return validate_selector(select, field="select"), validate_selector(exclude, field="exclude")


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
        if not result.success:
            _failing_nodes(result)
    sys.exit(EXIT_OK if result.success else EXIT_FAILED)


def _failing_nodes(result: DBTRunResult) -> None:
    """Each failing node with dbt's message, from the result's ``run_results.json``."""
    try:
        run_results = read_json_artifact(result.run_results_path, what="the runtime wrote none")
    except DBTError as exc:
        click.echo(f"  (the failing nodes cannot be listed: {exc})")
        return
    current_console(click.get_current_context(), err=False).failures(failed_nodes(run_results))


def default_profiles_dir(project_dir: Path) -> Path:
    """Where profiles.yml is when --profiles-dir is not given (nor DBT_PROFILES_DIR).

    The project directory when it has one (floe's convention: a project
    carries its profile); otherwise dbt's own default, the working directory
    when it has one, else ``~/.dbt``.
    """
    for candidate in (project_dir, Path.cwd()):
        if (candidate / "profiles.yml").is_file():
            return candidate
    return Path.home() / ".dbt"


@contextlib.contextmanager
def _failures() -> Iterator[None]:
    """Print dbt's progress while the block runs; exit 2 with ``error: ...`` if dbt cannot run."""
    ctx = click.get_current_context()
    # With --json, stdout is the result document: progress goes to stderr.
    with console(ctx, err=bool(ctx.params.get("as_json"))), _raised():
        yield


@contextlib.contextmanager
def _raised() -> Iterator[None]:
    try:
        yield
    except DBTError as exc:
        _fail(str(exc))
    except NotImplementedError as exc:
        # A placeholder runtime (REQ-089): what it raises is the message, not a traceback.
        _fail(str(exc) or "the dbt runtime does not implement this command")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("runtimes", epilog=EXIT_CODES)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def runtimes_command(as_json: bool) -> None:
    """List the installed dbt runtimes (entry points floe.dbt) and what each can do.

    A runtime whose settings all have defaults is built to ask it whether it
    is a placeholder that runs nothing yet (as fusion is) and whether it runs
    invocations in parallel; one that needs a dbt_runtime_config section is
    described from its class only.
    """
    with console(click.get_current_context(), err=True):  # a placeholder's warning, say
        described = describe_runtimes()
    if as_json:
        click.echo(json.dumps([runtime.as_json() for runtime in described], indent=2))
        return
    if not described:
        click.echo("no dbt runtime is installed (entry-point group floe.dbt)")
        return
    rows = [("NAME", "PLACEHOLDER", "CAPABILITIES", "SETTINGS", "CLASS", "DISTRIBUTION")]
    for runtime in described:
        placeholder = {True: "yes", False: "no", None: "not built"}[runtime.placeholder]
        rows.append(
            (
                runtime.name,
                placeholder,
                ", ".join(runtime.capabilities) or "-",
                runtime.config,
                runtime.target,
                runtime.distribution,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for runtime in described:
        if runtime.problem:
            click.echo(f"{runtime.name}: {runtime.problem}", err=True)


@main.command("compile", epilog=EXIT_CODES)
@dbt_options
@click.option("--no-cache", is_flag=True, help="Bypass and refresh the remote artifact cache.")
def compile_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: DbtVars | None,
    no_cache: bool,
) -> None:
    """Compile the dbt project and print the manifest path."""
    with _failures():
        call = _Invocation(manifest_path, project_dir, profiles_dir, target, no_cache=no_cache)
        runtime = call.with_vars(dbt_vars, "compile")
        manifest = runtime.compile_project(call.project_dir, call.profiles_dir, call.target)
    click.echo(json.dumps({"manifest_path": str(manifest)}) if as_json else str(manifest))


@main.command("run", epilog=EXIT_CODES)
@dbt_options
@select_option
@exclude_option
@full_refresh_option
@run_flag_options
def run_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: DbtVars | None,
    select: str | None,
    exclude: str | None,
    full_refresh: bool,
    fail_fast: bool,
    state: Path | None,
    defer: bool,
) -> None:
    """Run dbt models through the configured runtime."""
    with _failures():
        select, exclude = _selection(select, exclude)
        call = _Invocation(manifest_path, project_dir, profiles_dir, target)
        runtime = call.with_flags(call.with_vars(dbt_vars, "run"), fail_fast, state, defer)
        result = runtime.run_models(
            call.project_dir, call.profiles_dir, call.target, select, exclude, full_refresh
        )
    _report("run", runtime, result, as_json)


@main.command("test", epilog=EXIT_CODES)
@dbt_options
@select_option
@run_flag_options
def test_command(
    manifest_path: Path,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str,
    as_json: bool,
    dbt_vars: DbtVars | None,
    select: str | None,
    fail_fast: bool,
    state: Path | None,
    defer: bool,
) -> None:
    """Run dbt tests through the configured runtime."""
    with _failures():
        select, _ = _selection(select)
        call = _Invocation(manifest_path, project_dir, profiles_dir, target)
        runtime = call.with_flags(call.with_vars(dbt_vars, "test"), fail_fast, state, defer)
        result = runtime.run_tests(call.project_dir, call.profiles_dir, call.target, select)
    _report("test", runtime, result, as_json)


def _lifecycle_command(dbt: DbtCommand, summary: str) -> None:
    """Register ``floe <name>``: the capability's method of that name, with the flags it takes."""
    name = dbt.name

    def command(
        manifest_path: Path,
        project_dir: Path,
        profiles_dir: Path | None,
        target: str,
        as_json: bool,
        dbt_vars: DbtVars | None,
        select: str | None,
        exclude: str | None,
        fail_fast: bool,
        state: Path | None,
        defer: bool,
        **flags: bool,
    ) -> None:
        with _failures():
            select, exclude = _selection(select, exclude)
            call = _Invocation(manifest_path, project_dir, profiles_dir, target)
            call.lifecycle(f"`floe {name}`")
            runtime = call.with_flags(call.runtime, fail_fast, state, defer)
            method = getattr(runtime, dbt.method)
            result = method(
                call.project_dir,
                call.profiles_dir,
                call.target,
                select=select,
                exclude=exclude,
                vars=call.variables(dbt_vars),
                **flags,
            )
        _report(name, call.runtime, result, as_json)

    command.__doc__ = f"{summary} (needs the lifecycle capability)."
    # Decorators apply bottom-up: the flags are listed as on `floe run`.
    flagged = run_flag_options(command)
    decorated = full_refresh_option(flagged) if dbt.takes(Option.FULL_REFRESH) else flagged
    main.command(name, epilog=EXIT_CODES)(dbt_options(select_option(exclude_option(decorated))))


_lifecycle_command(SEED, "Load the project's seeds")
_lifecycle_command(SNAPSHOT, "Record the snapshots' changes")
_lifecycle_command(BUILD, "Seed, snapshot, run and test in DAG order")
