"""DBTCloudPlugin: dbt runs as dbt Cloud jobs (REQ-088), artifacts cached locally (REQ-092).

One invocation is: trigger the configured job (with ``steps_override`` when
there is a selector, ``--full-refresh`` or ``--vars``, and always for the
lifecycle commands ``seed``, ``snapshot`` and ``build``), poll the run with
backoff until it ends or ``timeout_seconds`` passes (then cancel it and
raise), then fetch the artifacts of *the step that ran the command* — not the
last step's — and write them into ``<project_dir>/target/`` and the cache
(:mod:`floe_dbt_cloud.invocation`).

The module is long because the class is the contract's seven methods and the
lifecycle capability's four, each documented where callers read it; the
work behind them lives in ``invocation``, ``commands``, ``jobs`` and ``cache``.
"""

import copy
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
from pydantic import BaseModel, SecretStr

from floe_core.artifacts import read_json_artifact
from floe_core.bounds import checked
from floe_core.errors import (
    DBTConfigurationError,
    DBTExecutionError,
)
from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, SecretsPlugin
from floe_core.redaction import redacting
from floe_core.selectors import merge_vars, secret_values, validate_target
from floe_core.telemetry import dbt_span, record_result
from floe_dbt_cloud.cache import ArtifactCache, host_key
from floe_dbt_cloud.cache_disk import atomic_write_bytes
from floe_dbt_cloud.client import DEFAULT_TIMEOUT, AdminApiClient
from floe_dbt_cloud.commands import steps_override
from floe_dbt_cloud.config import DEFAULT_CLOUD_BASE_URL, CloudRuntimeConfig, checked_url
from floe_dbt_cloud.discovery import DiscoveryClient, default_discovery_url
from floe_dbt_cloud.finished_run import MANIFEST, RUN_RESULTS, FinishedRun
from floe_dbt_cloud.http_limits import checked_timeout
from floe_dbt_cloud.invocation import Waiting, collect, execute, latest_successful
from floe_dbt_cloud.jobs import LIFECYCLE_COMMANDS, JobPlan
from floe_dbt_cloud.models import Run, RunStatus
from floe_dbt_cloud.scrub import artifact_scrubber
from floe_dbt_cloud.step_log import StepLogFollower

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DBTCloudPlugin"]

logger = logging.getLogger(__name__)

_RUNTIME = "cloud"
_ACCOUNT_ID = re.compile(r"[0-9]{1,20}")
# The commands that take --full-refresh (the others' spans do not name it).
_REFRESHABLE = frozenset({"run", "seed", "build"})


class DBTCloudPlugin(DBTPlugin, DBTLifecycle):
    """Runs dbt as dbt Cloud jobs through the Admin API v2.

    Declares the lifecycle capability (:class:`~floe_core.lifecycle.DBTLifecycle`):
    ``seed``, ``snapshot`` and ``build`` run as ``steps_override`` of their
    jobs (``job_ids.seed``/``snapshot``/``build``, the ``run`` job by
    default), and :meth:`with_vars` binds ``--vars`` to every invocation.

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
        if not isinstance(api_token, SecretStr):
            raise DBTConfigurationError(
                "api_token must be a pydantic SecretStr (resolve api_token_ref through the "
                "SecretsPlugin), not a plain string"
            )
        self.jobs = JobPlan.parse(job_ids)
        self.job_ids = self.jobs.contract
        if not _ACCOUNT_ID.fullmatch(str(account_id)):
            raise DBTConfigurationError(
                f"account_id must be the numeric dbt Cloud account id, got {str(account_id)[:40]!r}"
            )
        # The bounds of manifest.yaml, checked by the same fields of the same model.
        settings = checked(
            CloudRuntimeConfig,
            poll_interval_seconds=poll_interval_seconds,
            timeout_seconds=timeout_seconds,
            cache_ttl_hours=cache_ttl_hours,
            environment_id=environment_id,
        )
        self.account_id = str(account_id)
        self.base_url = _url("base_url", base_url)
        self.poll_interval_seconds: float = settings["poll_interval_seconds"]
        self.timeout_seconds: float = settings["timeout_seconds"]
        self.discovery_url = (
            _url("discovery_url", discovery_url)
            if discovery_url is not None
            else default_discovery_url(self.base_url)
        )
        self.environment_id: int | None = settings["environment_id"]
        self.no_cache = no_cache
        self.cache = ArtifactCache(
            Path(cache_dir), host=host_key(self.base_url), ttl_hours=settings["cache_ttl_hours"]
        )
        self._token = api_token
        self._transport = transport
        self._http_timeout = checked_timeout(http_timeout)
        self._clock = clock
        self._waiting = Waiting(self.poll_interval_seconds, self.timeout_seconds, sleep, clock)
        self._dbt_version: str | None = None
        self._vars: dict[str, Any] = {}
        # with_vars() copies share the pool; only the runtime that opened it closes it.
        self._owns_client = True
        self._client = AdminApiClient(
            self.base_url,
            self.account_id,
            api_token,
            transport=transport,
            timeout=http_timeout,
            sleep=sleep,
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
        if not isinstance(config, CloudRuntimeConfig):
            raise DBTConfigurationError(
                "the cloud runtime needs a dbt_runtime_config.cloud section in manifest.yaml "
                "(account_id, api_token_ref, job_ids)"
            )
        if secrets is None:
            raise DBTConfigurationError(
                "the cloud runtime needs a secrets backend to resolve api_token_ref; "
                "configure plugins.secrets"
            )
        return cls(
            config.account_id,
            secrets.get_secret(config.api_token_ref),
            config.base_url,
            config.job_ids,
            poll_interval_seconds=config.poll_interval_seconds,
            timeout_seconds=config.timeout_seconds,
            cache_ttl_hours=config.cache_ttl_hours,
            cache_dir=config.cache_dir,
            discovery_url=config.discovery_url,
            environment_id=config.environment_id,
            **options,
        )

    def __repr__(self) -> str:
        bound = f", vars={sorted(self._vars)}" if self._vars else ""
        return (
            f"DBTCloudPlugin(account_id={self.account_id!r}, base_url={self.base_url!r}, "
            f"job_ids={self.jobs.as_dict()!r}{bound}, api_token=SecretStr('**********'))"
        )

    def close(self) -> None:
        """Close the HTTP connection pool (a :meth:`with_vars` copy leaves it to its origin)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> "DBTCloudPlugin":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the contract -------------------------------------------------------

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        """Run the compile job and write its ``manifest.json`` into ``<project_dir>/target``.

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
        validate_target(target)
        steps = steps_override("compile", self._vars, always=False)
        secrets = secret_values(self._vars)
        with dbt_span("compile", runtime=_RUNTIME, target=target) as span, redacting(secrets):
            self._name_vars(span, None)
            self._target_dir(project_dir)  # before the run: its artifacts need a place to go
            finished = self._execute("compile", self.job_ids.compile, steps, target, secrets)
            if finished.status != RunStatus.SUCCESS:
                # DBTCompilationError when the step's log says the project does not
                # parse or compile; DBTExecutionError when dbt could not run at all.
                raise finished.error()
            manifest = finished.fetch(MANIFEST, required=True)
            assert manifest is not None
            finished.check(MANIFEST, manifest)
            self._save(project_dir, finished.run, self.job_ids.compile, {MANIFEST: manifest})
            return project_dir / "target" / MANIFEST

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
        return self._command(
            "run", project_dir, target, select=select, exclude=exclude, full_refresh=full_refresh
        )

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
        return self._command("test", project_dir, target, select=select)

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
        return self._command(
            "seed",
            project_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

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
        return self._command(
            "snapshot", project_dir, target, select=select, exclude=exclude, vars=vars
        )

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
        return self._command(
            "build",
            project_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

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
        bound._vars = self._merged_vars(vars)
        bound._owns_client = False
        return bound

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        """The latest manifest: the cache within its TTL, else the compile job's last good run.

        On a miss (nothing cached, expired, corrupt, ``no_cache``) the manifest
        of the compile job's latest successful run — from the step that ran
        ``dbt compile`` — is written into ``<project_dir>/target`` and cached
        under that run, so the next call is a hit.

        Raises:
            DBTArtifactNotFoundError: Nothing cached and the compile job has no
                successful run that saved a manifest.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        if not self.no_cache:
            entry = self.cache.latest(
                MANIFEST, account_id=self.account_id, job_ids=self._job_id_values()
            )
            document = self.cache.read(entry, MANIFEST) if entry else None
            if document is not None:
                return document
        finished = latest_successful(
            self._client,
            self.job_ids.compile,
            "compile",
            scrub=self._scrubber(secret_values(self._vars)),
        )
        content = finished.fetch(MANIFEST, required=True)
        assert content is not None
        manifest = finished.check(MANIFEST, content)
        self._save(project_dir, finished.run, self.job_ids.compile, {MANIFEST: content})
        return manifest

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        """The ``run_results.json`` of the latest run this project fetched.

        Raises:
            DBTArtifactNotFoundError: No run has been fetched into this project yet.
        """
        return read_json_artifact(
            project_dir / "target" / RUN_RESULTS,
            what="run run_models() or run_tests() through the cloud runtime first",
        )

    def supports_parallel_execution(self) -> bool:
        """True: every invocation is its own dbt Cloud run, isolated remotely."""
        return True

    def get_runtime_metadata(self) -> dict[str, Any]:
        """Type, account, access URL and job ids; never the token."""
        metadata: dict[str, Any] = {
            "type": _RUNTIME,
            "account_id": self.account_id,
            "base_url": self.base_url,
            "job_ids": self.jobs.as_dict(),
            "bound_vars": sorted(self._vars),
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
        if self.discovery_url is None:
            raise DBTConfigurationError(
                f"no Discovery API URL is known for {self.base_url}; set "
                "dbt_runtime_config.cloud.discovery_url"
            )
        if self.environment_id is None:
            raise DBTConfigurationError(
                "no environment id: set dbt_runtime_config.cloud.environment_id, or run a job "
                "first so the runtime learns it from the run"
            )
        client = DiscoveryClient(
            self.discovery_url, self._token, transport=self._transport, timeout=self._http_timeout
        )
        try:
            return client.environment_metadata(self.environment_id)
        finally:
            client.close()

    # -- one invocation -----------------------------------------------------

    def _command(
        self,
        command: str,
        project_dir: Path,
        target: str,
        *,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt <command>`` on its job, inside its span, and count the result."""
        validate_target(target)
        variables = self._merged_vars(vars)
        secrets = secret_values(variables)
        steps = steps_override(
            command,
            variables,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            always=command in LIFECYCLE_COMMANDS,
        )
        with dbt_span(
            command,
            runtime=_RUNTIME,
            target=target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh if command in _REFRESHABLE else None,
        ) as span:
            self._name_vars(span, vars)
            self._target_dir(project_dir)  # before the run: its artifacts need a place to go
            with redacting(secrets):  # inside the span: its error event holds no secret either
                job = self.jobs.job_for(command)
                result = self._invoke(command, job, steps, project_dir, target, secrets)
            record_result(span, result)
            return result

    def _merged_vars(self, vars: Mapping[str, Any] | None) -> dict[str, Any]:
        return merge_vars(self._vars, vars)

    def _name_vars(self, span: Any, vars: Mapping[str, Any] | None) -> None:
        names = sorted(self._merged_vars(vars))
        if names:
            # Names only: a var's value may be a credential.
            span.set_attribute("floe.dbt.var_names", names)

    def _invoke(
        self,
        command: str,
        job_id: int,
        steps: list[str] | None,
        project_dir: Path,
        target: str,
        secrets: Sequence[str],
    ) -> DBTRunResult:
        started = self._clock()
        finished = self._execute(command, job_id, steps, target, secrets)
        result, artifacts = collect(
            finished,
            job_id=job_id,
            account_id=self.account_id,
            target_dir=project_dir / "target",
            seconds=self._clock() - started,
        )
        # Only checked, scrubbed artifacts reach the project and the cache.
        self._save(project_dir, finished.run, job_id, artifacts)
        return result

    def _execute(
        self,
        command: str,
        job_id: int,
        steps: list[str] | None,
        target: str,
        secrets: Sequence[str],
    ) -> FinishedRun:
        """Trigger the job, wait for the run to end, and learn its environment."""
        finished = execute(
            self._client,
            job_id,
            command,
            steps,
            target=target,
            waiting=self._waiting,
            scrub=self._scrubber(secrets),
            on_poll=StepLogFollower(secrets),  # the run's progress, as it arrives
        )
        run = finished.run
        if run.environment_id is not None and self.environment_id is None:
            self.environment_id = run.environment_id
        self._dbt_version = run.dbt_version or self._dbt_version
        return finished

    def _save(self, project_dir: Path, run: Run, job_id: int, artifacts: dict[str, bytes]) -> None:
        target_dir = self._target_dir(project_dir)
        for name, content in artifacts.items():
            atomic_write_bytes(target_dir / name, content, mode=0o644)
        self.cache.store(run.id, account_id=self.account_id, job_id=job_id, artifacts=artifacts)

    def _scrubber(self, secrets: Sequence[str]) -> Callable[[bytes], bytes]:
        """What every artifact of a call goes through before it is kept anywhere."""
        return artifact_scrubber(self._token, secrets)

    @staticmethod
    def _target_dir(project_dir: Path) -> Path:
        target_dir = Path(project_dir) / "target"
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DBTExecutionError(
                f"cannot write dbt Cloud artifacts into {target_dir}: {exc.strerror}"
            ) from exc
        return target_dir

    def _job_id_values(self) -> list[int]:
        return [self.job_ids.compile, self.job_ids.run, self.job_ids.test]


def _url(field: str, value: str) -> str:
    # The constructor refuses what the config model refuses: a token in a URL
    # would reach the repr, the metadata and every error message.
    try:
        return checked_url(value)
    except ValueError as exc:
        raise DBTConfigurationError(f"{field} {exc}") from None
