"""DBTCloudPlugin: dbt runs as dbt Cloud jobs (REQ-088), artifacts cached locally (REQ-092).

One invocation triggers the command's job (with ``steps_override`` when there
is a selector, ``--full-refresh`` or ``--vars``, and always for the lifecycle
commands), polls the run until it ends or ``timeout_seconds`` passes (then
cancels it and raises), and keeps the artifacts of *the step that ran the
command* in the project's ``target-path`` and the cache. The class is the
contract's seven methods and the lifecycle capability's four, each documented
where callers read it; the work is in ``settings`` (the configuration),
``runner`` (one call), ``invocation`` (trigger and wait), ``finished_run``
(a run's artifacts), ``store`` (the target directory) and ``cache``.
"""

import copy
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from floe_core.artifacts import RUN_RESULTS_JSON, read_json_artifact
from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, SecretsPlugin
from floe_core.run_flags import DBTFailFast, DBTStateSelection, RunFlags, checked_state
from floe_core.selectors import DbtVars
from floe_core.vocabulary import BUILD, COMPILE, RUN, SEED, SNAPSHOT, TEST, DbtArguments, DbtCommand
from floe_dbt_cloud.cache import ArtifactCache, host_key
from floe_dbt_cloud.client import DEFAULT_TIMEOUT
from floe_dbt_cloud.commands import step_run_flags
from floe_dbt_cloud.config import DEFAULT_CLOUD_BASE_URL, CloudRuntimeConfig
from floe_dbt_cloud.models import Run
from floe_dbt_cloud.runner import RUNTIME_TYPE, Connection, JobRunner
from floe_dbt_cloud.settings import CloudSettings, config_arguments
from floe_dbt_cloud.store import target_dir

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DBTCloudPlugin"]


class DBTCloudPlugin(DBTPlugin, DBTLifecycle, DBTFailFast, DBTStateSelection):
    """Runs dbt as dbt Cloud jobs through the Admin API v2.

    Declares the lifecycle capability (:class:`~floe_core.lifecycle.DBTLifecycle`):
    ``seed``, ``snapshot`` and ``build`` run as ``steps_override`` of their
    jobs (``job_ids.seed``/``snapshot``/``build``, the ``run`` job by
    default), and :meth:`with_vars` binds ``--vars`` to every invocation.
    Declares the fail-fast and state capabilities (:mod:`floe_core.run_flags`):
    :meth:`with_fail_fast` and :meth:`with_state` put ``--fail-fast``,
    ``--state <dir>`` and ``--defer`` into the step (the state directory is
    a directory of the project, which dbt Cloud checks out for the run).

    Args:
        account_id: The dbt Cloud account (digits).
        api_token: A service token, resolved by the SecretsPlugin.
        base_url: The account's access URL plus ``/api/v2``.
        job_ids: The jobs that compile, run and test (``{"compile": .., "run": .., "test": ..}``),
            and optionally those that seed, snapshot and build (the run job by default).
        poll_interval_seconds: The longest wait between two status checks.
        timeout_seconds: How long a run may take before it is cancelled.
        cache_ttl_hours: How long cached artifacts are served.
        cache_dir: Where the artifact cache lives.
        discovery_url: The Discovery GraphQL endpoint; derived from ``base_url``
            for dbt Cloud's own hosts.
        environment_id: The environment whose metadata Discovery reads; taken
            from the latest run when omitted.
        no_cache: Skip cache reads and rewrite entries (``floe compile --no-cache``).
        transport: An httpx transport (the emulator in-process, or a mock).
        sleep: How to wait (tests pass a fake).
        clock: A monotonic clock (tests pass a fake).
        http_timeout: Per-request timeouts.

    Examples:
        >>> runtime = DBTCloudPlugin("12345", SecretStr("dbtc_..."),
        ...                          job_ids={"compile": 1, "run": 2, "test": 3})  # doctest: +SKIP
        >>> runtime.run_models(Path("proj"), Path("proj"), "prod").models_run  # doctest: +SKIP
        5
    """

    config_model: ClassVar[type[BaseModel] | None] = CloudRuntimeConfig

    def __init__(
        self,
        account_id: str,
        api_token: SecretStr,
        base_url: str = DEFAULT_CLOUD_BASE_URL,
        job_ids: BaseModel | Mapping[str, int | None] | None = None,
        *,
        poll_interval_seconds: float = 5,
        timeout_seconds: float = 3600,
        cache_ttl_hours: float = 24,
        cache_dir: Path = Path(".floe/dbt-cloud-cache"),
        discovery_url: str | None = None,
        environment_id: int | None = None,
        no_cache: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        http_timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        settings = CloudSettings.check(
            account_id,
            api_token,
            base_url,
            job_ids,
            poll_interval_seconds=poll_interval_seconds,
            timeout_seconds=timeout_seconds,
            cache_ttl_hours=cache_ttl_hours,
            discovery_url=discovery_url,
            environment_id=environment_id,
        )
        self.jobs = settings.jobs
        self.job_ids = settings.jobs.contract
        self.account_id = settings.account_id
        self.base_url = settings.base_url
        self.poll_interval_seconds = settings.poll_interval_seconds
        self.timeout_seconds = settings.timeout_seconds
        self.discovery_url = settings.discovery_url
        self.environment_id = settings.environment_id
        self.no_cache = no_cache
        self.cache = ArtifactCache(
            Path(cache_dir), host=host_key(self.base_url), ttl_hours=settings.cache_ttl_hours
        )
        self._dbt_version: str | None = None
        self._vars = DbtVars.EMPTY
        self._flags = RunFlags()
        # with_vars() copies share the pool; only the runtime that opened it closes it.
        self._owns_client = True
        self._connection = Connection.open(
            settings,
            api_token,
            transport=transport,
            http_timeout=http_timeout,
            sleep=sleep,
            clock=clock,
        )

    @classmethod
    def from_config(
        cls, config: BaseModel | None, secrets: SecretsPlugin | None, **options: Any
    ) -> "DBTCloudPlugin":
        """Build the runtime from ``dbt_runtime_config.cloud``.

        Args:
            config: A :class:`~floe_dbt_cloud.config.CloudRuntimeConfig`.
            secrets: Resolves ``api_token_ref``.
            **options: ``no_cache`` (``floe compile --no-cache``) and any
                constructor keyword (``transport`` ...).

        Returns:
            The configured runtime.

        Raises:
            DBTConfigurationError: The section or the secrets backend is missing,
                or the token cannot be resolved.
        """
        return cls(**config_arguments(config, secrets), **options)

    def __repr__(self) -> str:
        bound = f", vars={sorted(self._vars)}" if self._vars else ""
        if self._flags:
            bound += f", flags={self._flags.described()}"
        return (
            f"DBTCloudPlugin(account_id={self.account_id!r}, base_url={self.base_url!r}, "
            f"job_ids={self.jobs.as_dict()!r}{bound}, api_token=SecretStr('**********'))"
        )

    def close(self) -> None:
        """Close the HTTP connection pool (a :meth:`with_vars` copy leaves it to its origin)."""
        if self._owns_client:
            self._connection.client.close()

    def __enter__(self) -> "DBTCloudPlugin":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the contract -------------------------------------------------------

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        """Run the compile job and write its ``manifest.json`` into the project's target-path.

        ``profiles_dir`` is the dbt Cloud job environment's; ``target`` is sent
        as ``target_name_override`` (dbt Cloud's ``target.name``). Bound vars
        (:meth:`with_vars`) become ``steps_override`` ``dbt compile --vars '...'``.

        Raises:
            DBTConfigurationError: ``target`` is not a profile target name.
            DBTCompilationError: The project does not parse or compile (the step's log says so).
            DBTExecutionError: dbt could not run at all (a profile or target it cannot use).
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        flags = step_run_flags(self._flags, project_dir)
        arguments = DbtArguments(COMPILE, vars=self._vars, run_flags=flags)
        return self._runner().compile(arguments, project_dir, target)

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        """Run the run job (``dbt run`` with selectors and bound vars as ``steps_override``).

        Raises:
            DBTConfigurationError: ``select``/``exclude`` is not a dbt selector.
            DBTCompilationError: The project did not compile in dbt Cloud.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        return self._command(RUN, project_dir, target, select, exclude, full_refresh)

    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        """Run the test job (``dbt test`` with the selector and bound vars as ``steps_override``).

        Raises:
            DBTConfigurationError: ``select`` is not a dbt selector.
            DBTCompilationError: The project did not compile in dbt Cloud.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        return self._command(TEST, project_dir, target, select)

    # -- the lifecycle capability --------------------------------------------

    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt seed`` as ``steps_override`` of the seed job (the run job by default).

        ``metadata["seeds_run"]`` counts the seeds loaded or failed; a seed
        with a bad row is a failed result, not an exception. See
        :class:`~floe_core.lifecycle.DBTLifecycle` for the arguments and errors.
        """
        del profiles_dir
        return self._command(SEED, project_dir, target, select, exclude, full_refresh, vars)

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt snapshot`` as ``steps_override`` of the snapshot job (the run job by default).

        ``metadata["snapshots_run"]`` counts the snapshots run; see
        :class:`~floe_core.lifecycle.DBTLifecycle` for the arguments and errors.
        """
        del profiles_dir
        return self._command(SNAPSHOT, project_dir, target, select, exclude, vars=vars)

    def build(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt build`` as ``steps_override`` of the build job (the run job by default).

        Seeds, snapshots, models and tests in DAG order; a failing test skips
        what depends on its model, as dbt does, and is counted, not raised.
        See :class:`~floe_core.lifecycle.DBTLifecycle`.
        """
        del profiles_dir
        return self._command(BUILD, project_dir, target, select, exclude, full_refresh, vars)

    def with_vars(self, vars: Mapping[str, Any]) -> "Self":
        """Return a runtime like this one whose every invocation passes ``--vars``.

        The copy shares this runtime's settings, HTTP connection pool, artifact
        cache and what it learnt (environment, dbt version); this runtime is
        left unchanged, and closing the copy leaves the pool open for it.
        ``vars`` are updated over the vars this runtime already binds, and a
        call's own ``vars=`` over both (top-level keys replace). Every job run
        then gets a ``steps_override`` with ``--vars '<json>'`` (the run and
        test jobs too, whose own steps it replaces).

        Args:
            vars: Variable names to JSON values.

        Returns:
            The bound runtime, of this runtime's class.

        Raises:
            DBTConfigurationError: ``vars`` is not a mapping of JSON values.
        """
        bound = copy.copy(self)
        bound._vars = self._vars.merged(vars)
        bound._owns_client = False
        return bound

    def with_fail_fast(self, fail_fast: bool = True) -> "Self":
        """Return a runtime like this one whose every job step passes ``--fail-fast``.

        Shares this runtime's settings, pool and cache, as :meth:`with_vars` does.
        """
        return self._bind(RunFlags(bool(fail_fast), self._flags.state, self._flags.defer))

    def with_state(self, state: Path, *, defer: bool = False) -> "Self":
        """Return a runtime like this one whose every job step passes ``--state`` (``--defer``).

        dbt Cloud runs the project's repository, so ``--state`` names a
        directory *of the project*: each call sends ``state`` relative to its
        ``project_dir`` and refuses one outside it before triggering anything
        (:func:`~floe_dbt_cloud.commands.step_run_flags`). To defer to another
        job's artifacts, configure deferral on the dbt Cloud job instead.

        Raises:
            DBTConfigurationError: ``state`` is not a path.
        """
        return self._bind(RunFlags(self._flags.fail_fast, checked_state(state), bool(defer)))

    def _bind(self, flags: RunFlags) -> "Self":
        bound = copy.copy(self)
        bound._flags = flags
        bound._owns_client = False
        return bound

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        """The latest manifest: the cache within its TTL, else the compile job's last good run.

        On a miss (nothing cached, expired, corrupt, ``no_cache``) the manifest
        of the compile job's latest successful run — from the step that ran
        ``dbt compile`` — is written into the project's target-path and cached
        under that run, so the next call is a hit.

        Raises:
            DBTArtifactNotFoundError: Nothing cached and the compile job has no
                successful run that saved a manifest.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        return self._runner().latest_manifest(project_dir, self._vars, no_cache=self.no_cache)

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        """The ``run_results.json`` of the latest run this project fetched.

        Raises:
            DBTArtifactNotFoundError: No run has been fetched into this project yet.
        """
        return read_json_artifact(
            target_dir(project_dir, create=False) / RUN_RESULTS_JSON,
            what="run run_models() or run_tests() through the cloud runtime first",
        )

    def supports_parallel_execution(self) -> bool:
        """True: every invocation is its own dbt Cloud run, isolated remotely."""
        return True

    def get_runtime_metadata(self) -> dict[str, Any]:
        """Type, account, access URL and job ids; never the token."""
        metadata: dict[str, Any] = {
            "type": RUNTIME_TYPE,
            "account_id": self.account_id,
            "base_url": self.base_url,
            "job_ids": self.jobs.as_dict(),
            "bound_vars": sorted(self._vars),
            "bound_flags": self._flags.described(),
            "poll_interval_seconds": self.poll_interval_seconds,
            "timeout_seconds": self.timeout_seconds,
            "cache_enabled": self.cache.enabled,
            "cache_dir": str(self.cache.root),
        }
        if self._dbt_version:
            metadata["dbt_version"] = self._dbt_version
        if self.environment_id is not None:
            metadata["environment_id"] = self.environment_id
        return metadata

    def get_environment_metadata(self) -> dict[str, Any]:
        """The environment's applied state from the Discovery API (models and their last run).

        Raises:
            DBTConfigurationError: No Discovery URL or environment id is known.
            DBTRemoteError: The Discovery API failed or rejected the query.
        """
        return self._connection.environment_metadata(
            self.discovery_url, self.environment_id, self.base_url
        )

    # -- one invocation -----------------------------------------------------

    def _command(
        self,
        command: DbtCommand,
        project_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt <command>`` on its job, its arguments checked here, once."""
        arguments = DbtArguments.of(
            command,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=self._vars.merged(vars),
            run_flags=step_run_flags(self._flags, project_dir),
        )
        return self._runner().run(arguments, project_dir, target)

    def _runner(self) -> JobRunner:
        """What one call needs of this runtime, as it is now (tests may swap the cache)."""
        return JobRunner(self._connection, self.account_id, self.jobs, self.cache, self._learn)

    def _learn(self, run: Run) -> None:
        """Learn the environment (when not configured) and dbt version from a run."""
        if run.environment_id is not None and self.environment_id is None:
            self.environment_id = run.environment_id
        self._dbt_version = run.dbt_version or self._dbt_version
