"""DBTCloudPlugin: dbt runs as dbt Cloud jobs (REQ-088), artifacts cached locally (REQ-092).

One invocation is: trigger the configured job (with ``steps_override`` when
there is a selector or ``--full-refresh``), poll the run with backoff until it
ends or ``timeout_seconds`` passes (then cancel it and raise), then fetch the
artifacts of *the step that ran the command* — not the last step's — and write
them into ``<project_dir>/target/`` and the cache.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from floe_core.artifacts import count_run_results, read_json_artifact
from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTExecutionError,
    DBTRemoteError,
)
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, SecretsPlugin
from floe_core.schemas import DEFAULT_CLOUD_BASE_URL, CloudRuntimeConfig, JobIds
from floe_core.telemetry import dbt_span, record_result
from floe_dbt_cloud.cache import ArtifactCache, host_key, validate_run_id
from floe_dbt_cloud.cache_disk import atomic_write_bytes
from floe_dbt_cloud.client import DEFAULT_TIMEOUT, AdminApiClient
from floe_dbt_cloud.commands import build_step
from floe_dbt_cloud.discovery import DiscoveryClient, default_discovery_url
from floe_dbt_cloud.finished_run import CATALOG, MANIFEST, RUN_RESULTS, FinishedRun
from floe_dbt_cloud.models import Run, RunStatus, TriggerRunRequest
from floe_dbt_cloud.polling import wait_for_run
from floe_dbt_cloud.scrub import scrub_credentials

__all__ = ["DBTCloudPlugin"]

logger = logging.getLogger(__name__)

_RUNTIME = "cloud"


def trigger_cause(command: str) -> str:
    """A ``cause`` unique to one trigger, so a run whose trigger answer was lost can be found.

    It names the command and a random id, nothing else (no selector, no
    secret), and stays far below the API's 255 characters.

    Examples:
        >>> trigger_cause("run")  # doctest: +ELLIPSIS
        'floe-dbt: dbt run [...]'
    """
    return f"floe-dbt: dbt {command} [{uuid.uuid4().hex}]"


class DBTCloudPlugin(DBTPlugin):
    """Runs dbt as dbt Cloud jobs through the Admin API v2.

    Args:
        account_id: The dbt Cloud account (digits).
        api_token: A service token, resolved by the SecretsPlugin.
        base_url: The account's access URL plus ``/api/v2``.
        job_ids: The jobs that compile, run and test (``{"compile": .., "run": .., "test": ..}``).
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

    def __init__(
        self,
        account_id: str,
        api_token: SecretStr,
        base_url: str = DEFAULT_CLOUD_BASE_URL,
        job_ids: JobIds | Mapping[str, int] | None = None,
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
        if job_ids is None:
            raise DBTConfigurationError(
                "job_ids is required: configure dbt_runtime_config.cloud.job_ids "
                "{compile, run, test} in manifest.yaml"
            )
        try:
            self.job_ids = job_ids if isinstance(job_ids, JobIds) else JobIds(**job_ids)
        except (TypeError, ValidationError) as exc:
            raise DBTConfigurationError(
                "job_ids must map compile, run and test to positive dbt Cloud job ids, "
                f"e.g. {{'compile': 67890, 'run': 67891, 'test': 67892}} ({exc})"
            ) from None
        if not str(account_id).isdigit():
            raise DBTConfigurationError(
                f"account_id must be the numeric dbt Cloud account id, got {str(account_id)!r}"
            )
        if poll_interval_seconds <= 0 or timeout_seconds <= 0:
            raise DBTConfigurationError("poll_interval_seconds and timeout_seconds must be > 0")
        self.account_id = str(account_id)
        self.base_url = base_url.rstrip("/")
        self.poll_interval_seconds = float(poll_interval_seconds)
        self.timeout_seconds = float(timeout_seconds)
        self.discovery_url = discovery_url or default_discovery_url(self.base_url)
        self.environment_id = environment_id
        self.no_cache = no_cache
        self.cache = ArtifactCache(
            Path(cache_dir), host=host_key(self.base_url), ttl_hours=cache_ttl_hours
        )
        self._token = api_token
        self._transport = transport
        self._http_timeout = http_timeout
        self._sleep = sleep
        self._clock = clock
        self._dbt_version: str | None = None
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
    ) -> DBTCloudPlugin:
        """Build the runtime from ``dbt_runtime_config.cloud``.

        Args:
            config: A :class:`~floe_core.schemas.CloudRuntimeConfig`.
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
                f"the cloud runtime needs a secrets backend to resolve api_token_ref "
                f"{config.api_token_ref!r}; configure plugins.secrets"
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
        return (
            f"DBTCloudPlugin(account_id={self.account_id!r}, base_url={self.base_url!r}, "
            f"job_ids={self.job_ids.model_dump()!r}, api_token=SecretStr('**********'))"
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> DBTCloudPlugin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the contract -------------------------------------------------------

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        """Run the compile job and write its ``manifest.json`` into ``<project_dir>/target``.

        ``profiles_dir`` and ``target`` are kept by the dbt Cloud job's environment.

        Raises:
            DBTCompilationError: The job's compile step failed.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        with dbt_span("compile", runtime=_RUNTIME, target=target):
            finished = self._execute("compile", self.job_ids.compile, None)
            if finished.status != RunStatus.SUCCESS:
                error = finished.error()
                if finished.status == RunStatus.ERROR and not isinstance(
                    error, DBTCompilationError
                ):
                    raise DBTCompilationError(str(error))
                raise error
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
        """Run the run job (``dbt run`` with the selectors as ``steps_override``).

        Raises:
            DBTConfigurationError: ``select``/``exclude`` is not a dbt selector.
            DBTCompilationError: The project did not compile in dbt Cloud.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        steps = None
        if select is not None or exclude is not None or full_refresh:
            steps = [build_step("run", select=select, exclude=exclude, full_refresh=full_refresh)]
        with dbt_span(
            "run",
            runtime=_RUNTIME,
            target=target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
        ) as span:
            result = self._invoke("run", self.job_ids.run, steps, project_dir)
            record_result(span, result)
            return result

    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        """Run the test job (``dbt test`` with the selector as ``steps_override``).

        Raises:
            DBTConfigurationError: ``select`` is not a dbt selector.
            DBTCompilationError: The project did not compile in dbt Cloud.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        del profiles_dir
        steps = [build_step("test", select=select)] if select is not None else None
        with dbt_span("test", runtime=_RUNTIME, target=target, select=select) as span:
            result = self._invoke("test", self.job_ids.test, steps, project_dir)
            record_result(span, result)
            return result

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
        finished = self._latest_compile_run()
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
            "job_ids": self.job_ids.model_dump(),
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

    def _invoke(
        self, command: str, job_id: int, steps: list[str] | None, project_dir: Path
    ) -> DBTRunResult:
        started = self._clock()
        finished = self._execute(command, job_id, steps)
        run, step = finished.run, finished.step
        if finished.status == RunStatus.CANCELLED:
            raise finished.error()
        try:
            run_results = finished.fetch(RUN_RESULTS, required=True)
        except DBTArtifactNotFoundError:
            if finished.status == RunStatus.ERROR:
                # dbt stopped before running anything: that is an error, not a result.
                raise finished.error() from None
            raise
        assert run_results is not None
        counts = count_run_results(finished.check(RUN_RESULTS, run_results))
        artifacts = {RUN_RESULTS: run_results}
        manifest = finished.fetch(MANIFEST, required=False)
        if manifest is not None:
            finished.check(MANIFEST, manifest)
            artifacts[MANIFEST] = manifest
        catalog = finished.fetch_catalog()
        if catalog is not None:
            artifacts[CATALOG] = catalog
        # Only validated artifacts reach the project and the cache.
        self._save(project_dir, run, job_id, artifacts)
        target_dir = project_dir / "target"
        return DBTRunResult(
            success=finished.status == RunStatus.SUCCESS and counts.failures == 0,
            manifest_path=target_dir / MANIFEST,
            catalog_path=target_dir / CATALOG if catalog is not None else None,
            run_results_path=target_dir / RUN_RESULTS,
            execution_time_seconds=max(self._clock() - started, 0.0),
            models_run=counts.models_run,
            tests_run=counts.tests_run,
            failures=counts.failures,
            metadata={
                "run_id": run.id,
                "job_id": job_id,
                "account_id": self.account_id,
                "step": step,
                "status": finished.status.humanized,
                "href": run.href,
                "dbt_version": run.dbt_version,
            },
        )

    def _execute(self, command: str, job_id: int, steps: list[str] | None) -> FinishedRun:
        """Trigger the job and wait for the run to end."""
        body = TriggerRunRequest(cause=trigger_cause(command), steps_override=steps)
        run = self._client.trigger_run(job_id, body)
        validate_run_id(run.id)
        logger.info("triggered dbt Cloud run %s of job %s (dbt %s)", run.id, job_id, command)
        run = wait_for_run(
            self._client,
            run.id,
            poll_interval=self.poll_interval_seconds,
            timeout=self.timeout_seconds,
            sleep=self._sleep,
            clock=self._clock,
        )
        if run.environment_id is not None and self.environment_id is None:
            self.environment_id = run.environment_id
        self._dbt_version = run.dbt_version or self._dbt_version
        finished = FinishedRun(self._client, run, command, self._scrub)
        if finished.step == 0 and finished.status == RunStatus.SUCCESS:
            raise DBTConfigurationError(
                f"job {job_id} ran no `dbt {command}` step (run {run.id}); configure the "
                f"job's commands to include `dbt {command}`"
            )
        return finished

    def _latest_compile_run(self) -> FinishedRun:
        """The compile job's newest successful run, with its steps."""
        job_id = self.job_ids.compile
        page = self._client.list_runs(
            job_definition_id=job_id, status=RunStatus.SUCCESS, order_by="-id", limit=1
        )
        if not page.data:
            raise DBTArtifactNotFoundError(
                f"no {MANIFEST}: nothing cached and compile job {job_id} has no successful "
                "run yet; run compile_project() first"
            )
        listed = page.data[0]
        if listed.job_definition_id != job_id or listed.status != RunStatus.SUCCESS:
            raise DBTRemoteError(
                f"dbt Cloud answered the successful runs of job {job_id} with run {listed.id} "
                f"of job {listed.job_definition_id} (status {listed.status})",
                run_id=listed.id,
            )
        # The list endpoint cannot include run_steps, and the step matters.
        return FinishedRun(self._client, self._client.get_run(listed.id), "compile", self._scrub)

    def _save(self, project_dir: Path, run: Run, job_id: int, artifacts: dict[str, bytes]) -> None:
        target_dir = self._target_dir(project_dir)
        for name, content in artifacts.items():
            atomic_write_bytes(target_dir / name, content, mode=0o644)
        self.cache.store(run.id, account_id=self.account_id, job_id=job_id, artifacts=artifacts)

    def _scrub(self, content: bytes) -> bytes:
        # The token this runtime holds, and anything shaped like a dbt Cloud credential.
        return scrub_credentials(content, (self._token.get_secret_value(),))

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
