"""Where a code location's dbt manifest comes from, without touching the warehouse.

Dagster loads a code location in its webserver, its daemon and every run and
step process. Loading must therefore be cheap and must never need the
warehouse: a fresh deployment, whose models do not exist yet, has to start.
So the definitions are built from a manifest that already exists: a file
prepared at deploy time (``floe compile`` against the deploy target, or
``dbt parse``, which needs no connection), or what the runtime's
``get_manifest`` returns (the local runtime reads ``target/manifest.json``;
the dbt Cloud runtime its artifact cache, else the compile job's latest
successful run). Compiling on load is for development only (``recompile=True``).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from floe_core.artifacts import read_json_artifact
from floe_core.errors import DBTArtifactNotFoundError
from floe_core.plugin_interfaces import DBTPlugin
from floe_dagster.step import DbtProjectLocation

__all__ = ["compile_command", "load_manifest"]


def compile_command(project: DbtProjectLocation, platform_manifest: Path | str | None) -> str:
    """The ``floe compile`` command that prepares the manifest for these definitions.

    Args:
        project: The dbt project, profiles directory and target.
        platform_manifest: The ``manifest.yaml`` that selects the runtime, when known.

    Returns:
        A shell command line.
    """
    manifest_yaml = str(platform_manifest) if platform_manifest else "manifest.yaml"
    return shlex.join(
        [
            "floe",
            "compile",
            "--manifest",
            manifest_yaml,
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            "--target",
            project.target,
        ]
    )


def load_manifest(
    runtime: DBTPlugin,
    project: DbtProjectLocation,
    *,
    manifest_path: Path | None = None,
    recompile: bool = False,
    platform_manifest: Path | str | None = None,
) -> dict[str, Any]:
    """Read the manifest the definitions are built from.

    Args:
        runtime: The runtime whose ``get_manifest`` (or ``compile_project``) is asked.
        project: The dbt project.
        manifest_path: A ``manifest.json`` prepared ahead; read instead of asking the runtime.
        recompile: Compile through the runtime first (needs the warehouse: development only).
        platform_manifest: The ``manifest.yaml``, named in the error's command.

    Returns:
        The parsed manifest.

    Raises:
        DBTArtifactNotFoundError: There is no manifest; the message gives the
            command that prepares one.
        DBTCompilationError: ``recompile`` and the project does not compile.
    """
    if manifest_path is not None:
        return read_json_artifact(
            Path(manifest_path), what=_how_to_prepare(project, platform_manifest)
        )
    if recompile:
        compiled = runtime.compile_project(
            project.project_dir, project.profiles_dir, project.target
        )
        return read_json_artifact(compiled, what="the runtime's compile_project did not write it")
    try:
        return runtime.get_manifest(project.project_dir)
    except DBTArtifactNotFoundError as exc:
        raise DBTArtifactNotFoundError(
            f"no dbt manifest to build the Dagster definitions from: {exc}. "
            + _how_to_prepare(project, platform_manifest)
        ) from exc


def _how_to_prepare(project: DbtProjectLocation, platform_manifest: Path | str | None) -> str:
    return (
        "Loading a code location never compiles (compiling needs the warehouse); prepare the "
        f"manifest when you deploy: `{compile_command(project, platform_manifest)}` "
        "(or pass manifest_path= a manifest.json built ahead, e.g. by `dbt parse`; "
        "in development, recompile=True compiles on load)"
    )
