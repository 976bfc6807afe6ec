"""The plugin contracts: DBTPlugin (REQ-086), OrchestratorPlugin (REQ-090), SecretsPlugin.

This module must never import dbt-core, a runtime, an API client or an orchestrator:
it is the stable surface that platform code and the compliance kit depend on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DBTPlugin", "DBTRunResult", "OrchestratorPlugin", "SecretsPlugin"]


class DBTRunResult(BaseModel):
    """The outcome of one ``dbt run`` or ``dbt test``, the same for every runtime.

    A failed model or test is reported here (``success=False``, ``failures>=1``);
    only an inability to run dbt at all is an exception.

    Attributes:
        success: True when every executed node succeeded (or passed).
        manifest_path: Local path of the ``manifest.json`` of this invocation.
        run_results_path: Local path of its ``run_results.json``.
        catalog_path: Local path of ``catalog.json`` when the runtime produced one.
        execution_time_seconds: Wall time of the invocation as the runtime saw it.
        models_run: Model nodes that executed (skipped ones excluded).
        tests_run: Data and unit tests that executed.
        failures: Results with status ``error``, ``fail`` or ``runtime error``.
        metadata: Runtime-specific, JSON-serialisable extras; never a secret.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    success: bool
    manifest_path: Path
    run_results_path: Path
    catalog_path: Path | None = None
    execution_time_seconds: float = Field(ge=0)
    models_run: int = Field(ge=0)
    tests_run: int = Field(ge=0)
    failures: int = Field(ge=0)
    metadata: dict[str, Any] = Field(default_factory=dict)


class DBTPlugin(ABC):
    """A place where dbt runs: dbt-core in this process, a hosted service, another engine ...

    Implementations register under the ``floe.dbt`` entry-point group and are
    certified with ``pytest --floe-dbt-compliance``. A platform selects one by
    its entry-point name in ``manifest.yaml`` (``plugins.dbt_runtime``).

    Attributes:
        config_model: The pydantic model of the runtime's
            ``dbt_runtime_config.<name>`` section (build it on
            :class:`~floe_core.schemas.ConfigSection`, mark secret references
            with :data:`~floe_core.schemas.SecretRef`), or None when the runtime
            takes no settings. A model that cannot be built from ``{}`` makes
            the section required.
        discovery_warning: Logged once per process when the registry loads the
            runtime (a placeholder says so here), or None.

    Examples:
        >>> from floe_core.plugin_registry import PluginRegistry
        >>> runtime = PluginRegistry().get_plugin("dbt", "acme")  # doctest: +SKIP
        >>> runtime.run_models(Path("proj"), Path("proj"), "dev", select="orders")  # doctest: +SKIP
        DBTRunResult(success=True, ..., models_run=1, ...)
    """

    config_model: ClassVar[type[BaseModel] | None] = None
    discovery_warning: ClassVar[str | None] = None

    @classmethod
    def from_config(
        cls, config: BaseModel | None, secrets: SecretsPlugin | None, **options: Any
    ) -> Self:
        """Build the runtime from its ``manifest.yaml`` section.

        The registry calls this; runtimes whose constructor needs settings or
        secrets override it. The default takes no configuration.

        Args:
            config: The runtime's section of ``plugins.dbt_runtime_config``,
                validated by :attr:`config_model` (its defaults when the section
                is absent), or None when the runtime has no model.
            secrets: Resolves secret references (``api_token_ref`` ...).
            **options: Invocation options such as ``no_cache`` that a runtime may honour.

        Returns:
            A ready-to-use runtime instance.
        """
        del config, secrets, options
        return cls()

    @abstractmethod
    def compile_project(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
    ) -> Path:
        """Compile the dbt project and return the path of its ``manifest.json``.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target to compile for.

        Returns:
            Path of a ``manifest.json`` that exists when this returns.

        Raises:
            DBTCompilationError: dbt could not parse or compile the project.
            DBTExecutionError: dbt could not be invoked at all.

        Examples:
            >>> runtime.compile_project(Path("proj"), Path("proj"), "dev")  # doctest: +SKIP
            PosixPath('proj/target/manifest.json')
        """

    @abstractmethod
    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        """Execute ``dbt run``.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target to run against.
            select: A dbt selector; ``None`` runs every model.
            exclude: A dbt selector of models to leave out.
            full_refresh: Rebuild incremental models from scratch.

        Returns:
            The result; failed models are reported in it, not raised.

        Raises:
            DBTCompilationError: The project could not be parsed or compiled.
            DBTExecutionError: dbt could not be run (bad profile, adapter missing ...).
            DBTExecutionTimeout: The run or the wait for the runtime timed out.

        Examples:
            >>> result = runtime.run_models(Path("proj"), Path("proj"), "dev")  # doctest: +SKIP
            >>> result.models_run  # doctest: +SKIP
            4
        """

    @abstractmethod
    def run_tests(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
    ) -> DBTRunResult:
        """Execute ``dbt test``.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target to test against.
            select: A dbt selector; ``None`` runs every test.

        Returns:
            The result; failing tests are counted in ``failures``, not raised.

        Raises:
            DBTCompilationError: The project could not be parsed or compiled.
            DBTExecutionError: dbt could not be run.
            DBTExecutionTimeout: The run or the wait for the runtime timed out.

        Examples:
            >>> runtime.run_tests(Path("proj"), Path("proj"), "dev").failures  # doctest: +SKIP
            0
        """

    @abstractmethod
    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        """Return the latest ``manifest.json`` (from the filesystem or an API).

        Args:
            project_dir: The dbt project the manifest belongs to.

        Returns:
            The parsed manifest.

        Raises:
            DBTArtifactNotFoundError: No manifest has been produced yet.

        Examples:
            >>> sorted(runtime.get_manifest(Path("proj"))["nodes"])[:1]  # doctest: +SKIP
            ['model.healthy.customers']
        """

    @abstractmethod
    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        """Return the latest ``run_results.json``.

        Args:
            project_dir: The dbt project the results belong to.

        Returns:
            The parsed run results of the latest invocation.

        Raises:
            DBTArtifactNotFoundError: Nothing has run yet.

        Examples:
            >>> runtime.get_run_results(Path("proj"))["args"]["which"]  # doctest: +SKIP
            'run'
        """

    @abstractmethod
    def supports_parallel_execution(self) -> bool:
        """Say whether two invocations may safely run at the same time.

        Returns:
            False when the runtime serialises invocations (in-process dbt-core),
            True when each invocation is isolated (remote runtimes).

        Examples:
            >>> runtime.supports_parallel_execution()  # doctest: +SKIP
            False
        """

    @abstractmethod
    def get_runtime_metadata(self) -> dict[str, Any]:
        """Return JSON-serialisable metadata for observability.

        Returns:
            At least ``type``; never a secret.

        Examples:
            >>> runtime.get_runtime_metadata()["type"]  # doctest: +SKIP
            'acme'
        """


class OrchestratorPlugin(ABC):
    """Turns dbt artifacts into an orchestrator's assets (REQ-090).

    Implementations register under ``floe.orchestrator`` and must not import
    dbt-core or a runtime's API client: every dbt call goes through the runtime.
    """

    @abstractmethod
    def create_assets_from_artifacts(
        self,
        artifacts: dict[str, Any],
        dbt_runtime_plugin: DBTPlugin,
    ) -> Any:
        """Build orchestrator assets from a dbt manifest.

        Args:
            artifacts: dbt artifacts, at least ``{"manifest": <manifest.json>}``.
            dbt_runtime_plugin: The runtime that materialises the assets.

        Returns:
            The orchestrator's asset definitions.

        Examples:
            >>> plugin.create_assets_from_artifacts({"manifest": m}, runtime)  # doctest: +SKIP
        """


class SecretsPlugin(ABC):
    """Resolves secret references such as ``api_token_ref`` (registered under ``floe.secrets``).

    Attributes:
        config_model: The pydantic model of ``plugins.secrets.config`` for this
            backend, or None when it takes no settings.
    """

    config_model: ClassVar[type[BaseModel] | None] = None

    @classmethod
    def from_config(cls, config: BaseModel | None) -> Self:
        """Build the backend from its validated ``plugins.secrets.config``.

        The default passes the model's fields as keyword arguments.

        Args:
            config: The section, validated by :attr:`config_model`, or None.

        Returns:
            The backend.
        """
        return cls(**(dict(config) if config is not None else {}))

    @abstractmethod
    def get_secret(self, ref: str) -> SecretStr:
        """Return the secret a reference names.

        Args:
            ref: The reference, e.g. ``warehouse-password``.

        Returns:
            The value, wrapped so it never prints.

        Raises:
            DBTConfigurationError: No such secret; the message names the reference
                and where it was looked for, never a value.

        Examples:
            >>> EnvSecretsPlugin().get_secret("warehouse-password")  # doctest: +SKIP
            SecretStr('**********')
        """
