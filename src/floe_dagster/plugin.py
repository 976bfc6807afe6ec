"""``DagsterOrchestratorPlugin`` (REQ-090) and the one-call wiring from ``manifest.yaml``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

from dagster import (
    Definitions,
    ExecutorDefinition,
    ResourceDefinition,
    in_process_executor,
    multiprocess_executor,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floe_core.errors import DBTConfigurationError
from floe_core.lifecycle import DBTLifecycle, supports_lifecycle
from floe_core.plugin_interfaces import DBTPlugin, OrchestratorPlugin, SecretsPlugin
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_core.selectors import DbtVars
from floe_core.vocabulary import BUILD, RUN, SEED, SNAPSHOT, resource_types
from floe_dagster.assets import DbtAsset, SplitBy, build_dbt_assets
from floe_dagster.dbt_graph import MODELS_ONLY, DbtAssetNode, read_dbt_graph
from floe_dagster.dbt_tests import map_dbt_tests
from floe_dagster.manifest_model import as_manifest
from floe_dagster.manifest_source import load_manifest
from floe_dagster.selection import ExactSelector
from floe_dagster.step import DbtProjectLocation

__all__ = ["DagsterOrchestratorPlugin", "DagsterPluginConfig", "definitions_from_manifest"]

_log = logging.getLogger(__name__)
# The Definitions' metadata key listing the dbt tests no asset check carries.
UNMAPPED_TESTS_KEY = "floe/dbt_tests_not_checks"


class DagsterPluginConfig(BaseModel):
    """What the Dagster plugin needs to know besides the runtime.

    Attributes:
        project_dir: The dbt project the assets build (holds ``dbt_project.yml``).
        profiles_dir: Where ``profiles.yml`` is; the project directory by default.
        target: The dbt target every step runs against.
        max_concurrent: How many dbt steps may run at once when the runtime
            supports parallel execution (ignored otherwise: then it is one).
        pool: A Dagster concurrency pool for every dbt step. The executor
            serialises the steps of one run; to serialise dbt across runs too
            (two schedules on one DuckDB file), name a pool here and limit it
            to 1 (``dagster instance concurrency set <pool> 1``).
        split_by: One step per dbt project (``None``, the default), one per
            dbt group (``"group"``; models without a group stay in the
            project's step), or a function of a
            :class:`~floe_dagster.dbt_graph.DbtAssetNode` that names its step
            (``None`` for the project's step).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    project_dir: Path
    profiles_dir: Path | None = None
    target: str = Field("dev", min_length=1)
    max_concurrent: int = Field(4, ge=1)
    pool: str | None = Field(None, min_length=1)
    split_by: Literal["group"] | SplitBy | None = None


class DagsterOrchestratorPlugin(OrchestratorPlugin):
    """Builds Dagster assets from dbt artifacts, materialised through a ``DBTPlugin``.

    One subsettable multi-asset per dbt project (see :mod:`floe_dagster.dbt_graph`
    for the key rule, ephemeral models, seeds, snapshots and sources): one
    asset per model, one asset check per dbt test
    (:mod:`floe_dagster.dbt_tests`), and one Dagster step that runs the
    selected models with one ``run_models`` call and their tests with one
    ``run_tests`` call (:mod:`floe_dagster.step`). Seeds and snapshots are
    assets built through the runtime when it has the lifecycle capability.
    A model that dbt fails fails its asset with dbt's message; the others
    of the step are materialised, and Dagster skips the steps downstream.

    It imports neither dbt-core nor a dbt Cloud client: the runtime does.

    Args:
        project_dir: The dbt project (holds ``dbt_project.yml``).
        profiles_dir: Where ``profiles.yml`` is; ``project_dir`` by default.
        target: The dbt target.
        max_concurrent: The most dbt steps run at once, for runtimes whose
            ``supports_parallel_execution()`` is true.
        pool: A Dagster concurrency pool for every dbt step (see
            :class:`DagsterPluginConfig`).
        split_by: How the project is split into steps (see :class:`DagsterPluginConfig`).

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
        split_by: Literal["group"] | SplitBy | None = None,
    ) -> None:
        try:
            self.config = DagsterPluginConfig(
                project_dir=Path(project_dir),
                profiles_dir=Path(profiles_dir) if profiles_dir is not None else None,
                target=target,
                max_concurrent=max_concurrent,
                pool=pool,
                split_by=split_by,
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            raise DBTConfigurationError(f"invalid Dagster plugin settings: {problems}") from None

    @property
    def project(self) -> DbtProjectLocation:
        """The project, profiles directory and target every step passes to the runtime."""
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

        The runtime is bound to every multi-asset as the ``dbt_runtime``
        resource, so ``dagster.materialize(assets)`` needs nothing else. Run
        them with :meth:`executor_for` (or :meth:`build_definitions`) so a
        runtime that cannot run in parallel never does.

        Args:
            artifacts: ``{"manifest": <parsed manifest.json>}``.
            dbt_runtime_plugin: The runtime that materialises the models.

        Returns:
            One multi-asset per step and an ``AssetSpec`` per source, seed
            or snapshot that is read but not built.

        Raises:
            DBTConfigurationError: ``artifacts`` has no manifest or a damaged
                one (the message names the node and field), the runtime is
                not a ``DBTPlugin``, two nodes build one relation, or a node
                cannot be selected exactly.
        """
        assets, _ = self._assets(artifacts, dbt_runtime_plugin)
        return assets

    def _assets(
        self, artifacts: dict[str, Any], dbt_runtime_plugin: DBTPlugin
    ) -> tuple[list[DbtAsset], tuple[tuple[str, str], ...]]:
        document = artifacts.get("manifest") if isinstance(artifacts, Mapping) else None
        if not isinstance(document, Mapping):
            raise DBTConfigurationError(
                "artifacts['manifest'] is missing: pass {'manifest': <parsed manifest.json>}, "
                "e.g. {'manifest': runtime.get_manifest(project_dir)}"
            )
        if not isinstance(dbt_runtime_plugin, DBTPlugin):
            raise DBTConfigurationError(
                f"dbt_runtime_plugin is a {type(dbt_runtime_plugin).__name__}, not a DBTPlugin; "
                "build it with PluginRegistry().create_dbt_runtime(manifest)"
            )
        manifest = as_manifest(document)
        resource = ResourceDefinition.hardcoded_resource(
            dbt_runtime_plugin, description="The floe dbt runtime (a DBTPlugin)."
        )
        materialise = _LIFECYCLE_TYPES if supports_lifecycle(dbt_runtime_plugin) else MODELS_ONLY
        selectors = ExactSelector(manifest)
        nodes = read_dbt_graph(manifest, materialise=materialise, selectors=selectors)
        tests = map_dbt_tests(manifest, nodes, selectors)
        if tests.unmapped:
            _log.warning(
                "%d dbt test(s) are no asset check and will not run in Dagster: %s",
                len(tests.unmapped),
                "; ".join(f"{unique_id} ({why})" for unique_id, why in tests.unmapped),
            )
        assets = build_dbt_assets(
            nodes,
            tests.checks,
            resource,
            self.project,
            project_name=manifest.metadata.project_name or "project",
            adapter_type=manifest.metadata.adapter_type,
            everything={kind: selectors.everything(kind) for kind in _KINDS},
            split_by=self._split_by(),
        )
        return assets, tests.unmapped

    def _split_by(self) -> SplitBy | None:
        split_by = self.config.split_by
        if split_by == "group":
            return _by_group
        return split_by if callable(split_by) else None

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
        manifest_path: Path | str | None = None,
        recompile: bool = False,
        platform_manifest: Path | str | None = None,
    ) -> Definitions:
        """Build the whole code location: assets (with their runtime) and executor.

        Loading never needs the warehouse: the manifest is ``artifacts``, else
        the file ``manifest_path``, else the runtime's ``get_manifest`` (see
        :mod:`floe_dagster.manifest_source`).

        Args:
            dbt_runtime_plugin: The runtime that materialises the models.
            artifacts: The dbt artifacts, when the caller has them.
            manifest_path: A ``manifest.json`` prepared at deploy time.
            recompile: Compile through the runtime on load (needs the
                warehouse; for development only).
            platform_manifest: The ``manifest.yaml``, named in the error's
                ``floe compile`` command when there is no manifest.

        Returns:
            Definitions ready for ``dagster dev`` or ``dagster definitions validate``.
            A dbt test no asset check can carry is logged as a warning and
            listed in the Definitions' metadata under
            ``floe/dbt_tests_not_checks``.

        Raises:
            DBTArtifactNotFoundError: There is no manifest; the message says
                which command prepares it.
        """
        if artifacts is None:
            manifest = load_manifest(
                dbt_runtime_plugin,
                self.project,
                manifest_path=Path(manifest_path) if manifest_path is not None else None,
                recompile=recompile,
                platform_manifest=platform_manifest,
            )
            artifacts = {"manifest": manifest}
        assets, unmapped = self._assets(artifacts, dbt_runtime_plugin)
        metadata = {UNMAPPED_TESTS_KEY: [{"unique_id": uid, "why": why} for uid, why in unmapped]}
        return Definitions(
            # The assets carry the runtime as their `dbt_runtime` resource already.
            assets=assets,
            executor=self.executor_for(dbt_runtime_plugin),
            metadata=metadata if unmapped else None,
        )


# Every node type a command runs (dbt build runs them all).
_KINDS = BUILD.resource_types
# What the assets of a runtime with the lifecycle capability build.
_LIFECYCLE_TYPES = resource_types(RUN, SEED, SNAPSHOT)


def _by_group(node: DbtAssetNode) -> str | None:
    return node.group


def definitions_from_manifest(
    manifest: PlatformManifest | Path | str,
    *,
    project_dir: Path | str,
    profiles_dir: Path | str | None = None,
    target: str = "dev",
    max_concurrent: int = 4,
    pool: str | None = None,
    split_by: Literal["group"] | SplitBy | None = None,
    manifest_path: Path | str | None = None,
    recompile: bool = False,
    vars: Mapping[str, Any] | None = None,  # dbt's own name for them
    registry: PluginRegistry | None = None,
    secrets: SecretsPlugin | None = None,
) -> Definitions:
    """Wire a platform's dbt project into Dagster from its ``manifest.yaml``.

    The runtime is the one ``plugins.dbt_runtime`` names, built by
    :class:`~floe_core.plugin_registry.PluginRegistry` with its secrets
    resolved. The dbt manifest is read, never compiled, unless ``recompile``:
    prepare it at deploy time with ``floe compile`` (the error says the exact
    command when it is missing).

    Args:
        manifest: The platform manifest, or the path of its ``manifest.yaml``.
        project_dir: The dbt project.
        profiles_dir: Where ``profiles.yml`` is; ``project_dir`` by default.
        target: The dbt target.
        max_concurrent: The most dbt steps run at once, if the runtime allows any.
        pool: A Dagster concurrency pool for every dbt step (see
            :class:`DagsterPluginConfig`).
        split_by: How the project is split into steps (see :class:`DagsterPluginConfig`).
        manifest_path: A dbt ``manifest.json`` prepared at deploy time; by
            default the runtime's ``get_manifest``.
        recompile: Compile the project when the definitions load (needs the
            warehouse; development only).
        vars: dbt ``--vars`` for every invocation of every step (the runtime's
            ``with_vars``; needs the lifecycle capability).
        registry: Where plugins come from; the installed entry points by default.
        secrets: Resolves secret references; built from the manifest by default.

    Returns:
        The code location's Definitions.

    Raises:
        ManifestError: The manifest file is missing or invalid.
        DBTConfigurationError: ``plugins.orchestrator`` names another
            orchestrator, a setting is invalid, or ``vars`` were given to a
            runtime without the lifecycle capability.
        DBTArtifactNotFoundError: There is no dbt manifest yet; the message
            says which ``floe compile`` command prepares it.
        PluginLoadError: The runtime is not installed.

    Examples:
        >>> defs = definitions_from_manifest("manifest.yaml", project_dir="dbt")  # doctest: +SKIP
    """
    platform_manifest = None if isinstance(manifest, PlatformManifest) else manifest
    if not isinstance(manifest, PlatformManifest):
        manifest = PlatformManifest.from_yaml(manifest)
    orchestrator = manifest.plugins.orchestrator
    if orchestrator not in (None, "dagster"):
        raise DBTConfigurationError(
            f"plugins.orchestrator is {orchestrator!r}, but these are Dagster definitions; "
            "set plugins.orchestrator to 'dagster' or remove it"
        )
    plugin = DagsterOrchestratorPlugin(
        project_dir, profiles_dir, target, max_concurrent, pool, split_by
    )
    runtime = (registry or PluginRegistry()).create_dbt_runtime(manifest, secrets)
    if vars is not None:
        if not supports_lifecycle(runtime):
            raise DBTConfigurationError(
                f"vars need a runtime with the lifecycle capability (with_vars); the "
                f"{manifest.plugins.dbt_runtime!r} runtime does not declare it: drop vars, or "
                "choose a runtime that does"
            )
        # with_vars returns the same kind of runtime: a DBTPlugin with the vars bound. The
        # vars are checked here, once; a runtime given a DbtVars need not check them again.
        runtime = cast(DBTPlugin, cast(DBTLifecycle, runtime).with_vars(DbtVars.of(vars)))
    return plugin.build_definitions(
        runtime,
        manifest_path=manifest_path,
        recompile=recompile,
        platform_manifest=platform_manifest,
    )
