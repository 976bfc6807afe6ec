"""``DagsterOrchestratorPlugin`` (REQ-090) and the one-call wiring from ``manifest.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    Definitions,
    ExecutorDefinition,
    ResourceDefinition,
    in_process_executor,
    multiprocess_executor,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floe_core.artifacts import read_json_artifact
from floe_core.errors import DBTArtifactNotFoundError, DBTConfigurationError
from floe_core.plugin_interfaces import DBTPlugin, OrchestratorPlugin, SecretsPlugin
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dagster.assets import DbtAsset, DbtProjectLocation, build_dbt_assets
from floe_dagster.dbt_graph import read_dbt_graph

__all__ = ["DagsterOrchestratorPlugin", "DagsterPluginConfig", "definitions_from_manifest"]


class DagsterPluginConfig(BaseModel):
    """What the Dagster plugin needs to know besides the runtime.

    Attributes:
        project_dir: The dbt project the assets build (holds ``dbt_project.yml``).
        profiles_dir: Where ``profiles.yml`` is; the project directory by default.
        target: The dbt target every asset runs against.
        max_concurrent: How many dbt assets may run at once when the runtime
            supports parallel execution (ignored otherwise: then it is one).
        pool: A Dagster concurrency pool for every dbt asset. The executor
            serialises the assets of one run; to serialise dbt across runs too
            (two schedules on one DuckDB file), name a pool here and limit it
            to 1 (``dagster instance concurrency set <pool> 1``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_dir: Path
    profiles_dir: Path | None = None
    target: str = Field("dev", min_length=1)
    max_concurrent: int = Field(4, ge=1)
    pool: str | None = Field(None, min_length=1)


class DagsterOrchestratorPlugin(OrchestratorPlugin):
    """Builds Dagster assets from dbt artifacts, materialised through a ``DBTPlugin``.

    One asset per dbt model (see :mod:`floe_dagster.dbt_graph` for the key
    rule, ephemeral models, seeds, snapshots and sources). Each asset runs
    ``dbt_runtime.run_models(select=<model>)`` on the configured project and
    records the ``DBTRunResult`` as materialisation metadata; a model that dbt
    fails fails its asset with dbt's message, and Dagster skips its downstream.

    It imports neither dbt-core nor a dbt Cloud client: the runtime does.

    Args:
        project_dir: The dbt project (holds ``dbt_project.yml``).
        profiles_dir: Where ``profiles.yml`` is; ``project_dir`` by default.
        target: The dbt target.
        max_concurrent: The most dbt assets run at once, for runtimes whose
            ``supports_parallel_execution()`` is true.
        pool: A Dagster concurrency pool for every dbt asset (see
            :class:`DagsterPluginConfig`).

    Raises:
        DBTConfigurationError: A setting is invalid; the message names it.

    Examples:
        >>> plugin = DagsterOrchestratorPlugin(project_dir="dbt")  # doctest: +SKIP
        >>> defs = plugin.build_definitions(runtime)  # doctest: +SKIP
    """

    def __init__(
        self,
        project_dir: Path | str,
        profiles_dir: Path | str | None = None,
        target: str = "dev",
        max_concurrent: int = 4,
        pool: str | None = None,
    ) -> None:
        try:
            self.config = DagsterPluginConfig(
                project_dir=Path(project_dir),
                profiles_dir=Path(profiles_dir) if profiles_dir is not None else None,
                target=target,
                max_concurrent=max_concurrent,
                pool=pool,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            raise DBTConfigurationError(f"invalid Dagster plugin settings: {problems}") from None

    @property
    def project(self) -> DbtProjectLocation:
        """The project, profiles directory and target every asset passes to the runtime."""
        config = self.config
        return DbtProjectLocation(
            project_dir=config.project_dir,
            profiles_dir=config.profiles_dir or config.project_dir,
            target=config.target,
            pool=config.pool,
        )

    def create_assets_from_artifacts(
        self,
        artifacts: dict[str, Any],
        dbt_runtime_plugin: DBTPlugin,
    ) -> list[DbtAsset]:
        """Build the Dagster assets of a dbt manifest.

        The runtime is bound to every model asset as the ``dbt_runtime``
        resource, so ``dagster.materialize(assets)`` needs nothing else. Run
        them with :meth:`executor_for` (or :meth:`build_definitions`) so a
        runtime that cannot run in parallel never does.

        Args:
            artifacts: ``{"manifest": <parsed manifest.json>}``.
            dbt_runtime_plugin: The runtime that materialises the models.

        Returns:
            An ``AssetsDefinition`` per model and an ``AssetSpec`` per seed,
            snapshot or source the models read.

        Raises:
            DBTConfigurationError: ``artifacts`` has no manifest, the runtime
                is not a ``DBTPlugin``, or two nodes share an asset key.
        """
        manifest = artifacts.get("manifest") if isinstance(artifacts, Mapping) else None
        if not isinstance(manifest, Mapping):
            raise DBTConfigurationError(
                "artifacts['manifest'] is missing: pass {'manifest': <parsed manifest.json>}, "
                "e.g. {'manifest': runtime.get_manifest(project_dir)}"
            )
        if not isinstance(dbt_runtime_plugin, DBTPlugin):
            raise DBTConfigurationError(
                f"dbt_runtime_plugin is a {type(dbt_runtime_plugin).__name__}, not a DBTPlugin; "
                "build it with PluginRegistry().create_dbt_runtime(manifest)"
            )
        resource = ResourceDefinition.hardcoded_resource(
            dbt_runtime_plugin, description="The floe dbt runtime (a DBTPlugin)."
        )
        adapter_type = (manifest.get("metadata") or {}).get("adapter_type")
        return build_dbt_assets(read_dbt_graph(manifest), resource, self.project, adapter_type)

    def executor_for(self, dbt_runtime_plugin: DBTPlugin) -> ExecutorDefinition:
        """Return the executor that respects the runtime's parallelism (REQ-093).

        Args:
            dbt_runtime_plugin: The runtime the assets run through.

        Returns:
            Dagster's in-process executor (one step at a time) when the runtime
            does not support parallel execution, else the multiprocess executor
            limited to ``max_concurrent`` steps.
        """
        if not dbt_runtime_plugin.supports_parallel_execution():
            return in_process_executor
        return multiprocess_executor.configured(
            {"max_concurrent": self.config.max_concurrent}, name="floe_dbt_parallel_executor"
        )

    def build_definitions(
        self,
        dbt_runtime_plugin: DBTPlugin,
        artifacts: dict[str, Any] | None = None,
        *,
        recompile: bool = True,
    ) -> Definitions:
        """Build the whole code location: assets (with their runtime) and executor.

        Args:
            dbt_runtime_plugin: The runtime that materialises the models.
            artifacts: The dbt artifacts; when omitted the manifest comes from
                the runtime (see ``recompile``).
            recompile: Without ``artifacts``, compile the project through the
                runtime (True), or use the runtime's latest manifest and
                compile only when it has none (False: for deployments that
                build the manifest ahead, so that loading the code location,
                which Dagster does in every run and step process, runs no dbt).

        Returns:
            Definitions ready for ``dagster dev`` or ``dagster definitions validate``.
        """
        if artifacts is None:
            artifacts = {"manifest": self._manifest_from(dbt_runtime_plugin, recompile)}
        return Definitions(
            # The assets carry the runtime as their `dbt_runtime` resource already.
            assets=self.create_assets_from_artifacts(artifacts, dbt_runtime_plugin),
            executor=self.executor_for(dbt_runtime_plugin),
        )

    def _manifest_from(self, runtime: DBTPlugin, recompile: bool) -> dict[str, Any]:
        project = self.project
        if not recompile:
            try:
                return runtime.get_manifest(project.project_dir)
            except DBTArtifactNotFoundError:
                pass  # nothing built ahead: compile, as recompile=True would
        manifest_path = runtime.compile_project(
            project.project_dir, project.profiles_dir, project.target
        )
        return read_json_artifact(
            manifest_path, what="the runtime's compile_project did not write it"
        )


def definitions_from_manifest(
    manifest: PlatformManifest | Path | str,
    *,
    project_dir: Path | str,
    profiles_dir: Path | str | None = None,
    target: str = "dev",
    max_concurrent: int = 4,
    pool: str | None = None,
    recompile: bool = True,
    registry: PluginRegistry | None = None,
    secrets: SecretsPlugin | None = None,
) -> Definitions:
    """Wire a platform's dbt project into Dagster from its ``manifest.yaml``.

    The runtime is the one ``plugins.dbt_runtime`` names, built by
    :class:`~floe_core.plugin_registry.PluginRegistry` with its secrets
    resolved; the project is compiled through it when the definitions load
    (unless ``recompile`` is False and a manifest was built ahead).

    Args:
        manifest: The platform manifest, or the path of its ``manifest.yaml``.
        project_dir: The dbt project.
        profiles_dir: Where ``profiles.yml`` is; ``project_dir`` by default.
        target: The dbt target.
        max_concurrent: The most dbt assets run at once, if the runtime allows any.
        pool: A Dagster concurrency pool for every dbt asset (see
            :class:`DagsterPluginConfig`).
        recompile: Compile the project when the definitions load (True), or use
            the runtime's latest manifest when there is one (False); see
            :meth:`DagsterOrchestratorPlugin.build_definitions`.
        registry: Where plugins come from; the installed entry points by default.
        secrets: Resolves secret references; built from the manifest by default.

    Returns:
        The code location's Definitions.

    Raises:
        ManifestError: The manifest file is missing or invalid.
        DBTConfigurationError: ``plugins.orchestrator`` names another
            orchestrator, or a setting is invalid.
        PluginLoadError: The runtime is not installed.

    Examples:
        >>> defs = definitions_from_manifest("manifest.yaml", project_dir="dbt")  # doctest: +SKIP
    """
    if not isinstance(manifest, PlatformManifest):
        manifest = PlatformManifest.from_yaml(manifest)
    orchestrator = manifest.plugins.orchestrator
    if orchestrator not in (None, "dagster"):
        raise DBTConfigurationError(
            f"plugins.orchestrator is {orchestrator!r}, but these are Dagster definitions; "
            "set plugins.orchestrator to 'dagster' or remove it"
        )
    plugin = DagsterOrchestratorPlugin(project_dir, profiles_dir, target, max_concurrent, pool)
    runtime = (registry or PluginRegistry()).create_dbt_runtime(manifest, secrets)
    return plugin.build_definitions(runtime, recompile=recompile)
