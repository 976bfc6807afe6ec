"""One call of the cloud runtime: its span, its job run, and what the run left kept.

:class:`JobRunner` carries out a call the plugin has checked
(:class:`~floe_core.vocabulary.DbtArguments`): inside the call's
``floe.dbt.<command>`` span, with its secret vars taken out of whatever it
raises, it triggers the command's job with the ``steps_override`` the
arguments render to (:mod:`floe_dbt_cloud.commands`), waits for the run
(:mod:`floe_dbt_cloud.invocation`), reads the step's artifacts
(:mod:`floe_dbt_cloud.finished_run`) and keeps the checked, scrubbed ones in
the project's ``target-path`` and in the cache (:mod:`floe_dbt_cloud.store`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.trace import Span
from pydantic import SecretStr

from floe_core.artifacts import MANIFEST_JSON
from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.redaction import redacting
from floe_core.selectors import DbtVars, validate_target
from floe_core.telemetry import dbt_span, record_result
from floe_core.vocabulary import COMPILE, DbtArguments
from floe_dbt_cloud.cache import ArtifactCache
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.commands import steps_override
from floe_dbt_cloud.discovery import DiscoveryClient
from floe_dbt_cloud.finished_run import FinishedRun, collect
from floe_dbt_cloud.http_limits import checked_timeout
from floe_dbt_cloud.invocation import Waiting, execute, latest_successful
from floe_dbt_cloud.jobs import JobPlan
from floe_dbt_cloud.models import Run, RunStatus
from floe_dbt_cloud.scrub import artifact_scrubber
from floe_dbt_cloud.settings import CloudSettings
from floe_dbt_cloud.step_log import StepLogFollower
from floe_dbt_cloud.store import save_artifacts, target_dir

__all__ = ["RUNTIME_TYPE", "Connection", "JobRunner"]

RUNTIME_TYPE = "cloud"


@dataclass(frozen=True)
class Connection:
    """How a runtime reaches dbt Cloud: the Admin API client, the token, how runs are waited for.

    Shared by a runtime and its :meth:`~floe_dbt_cloud.DBTCloudPlugin.with_vars` copies.
    """

    client: AdminApiClient
    token: SecretStr
    waiting: Waiting
    clock: Callable[[], float]
    transport: httpx.BaseTransport | None
    http_timeout: httpx.Timeout

    @classmethod
    def open(
        cls,
        settings: CloudSettings,
        token: SecretStr,
        *,
        transport: httpx.BaseTransport | None,
        http_timeout: httpx.Timeout,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> Connection:
        """Open the connection pool of a runtime with these settings.

        Raises:
            DBTConfigurationError: ``http_timeout`` is outside its bounds.
        """
        http_timeout = checked_timeout(http_timeout)
        waiting = Waiting(settings.poll_interval_seconds, settings.timeout_seconds, sleep, clock)
        client = AdminApiClient(
            settings.base_url,
            settings.account_id,
            token,
            transport=transport,
            timeout=http_timeout,
            sleep=sleep,
        )
        return cls(client, token, waiting, clock, transport, http_timeout)

    def environment_metadata(
        self, discovery_url: str | None, environment_id: int | None, base_url: str
    ) -> dict[str, Any]:
        """An environment's applied state from the Discovery API.

        Raises:
            DBTConfigurationError: No Discovery URL or environment id is known.
            DBTRemoteError: The Discovery API failed or rejected the query.
        """
        if discovery_url is None:
            raise DBTConfigurationError(
                f"no Discovery API URL is known for {base_url}; set "
                "dbt_runtime_config.cloud.discovery_url"
            )
        if environment_id is None:
            raise DBTConfigurationError(
                "no environment id: set dbt_runtime_config.cloud.environment_id, or run a job "
                "first so the runtime learns it from the run"
            )
        client = DiscoveryClient(
            discovery_url, self.token, transport=self.transport, timeout=self.http_timeout
        )
        try:
            return client.environment_metadata(environment_id)
        finally:
            client.close()


@dataclass(frozen=True)
class JobRunner:
    """What a call needs of its runtime: the connection, the jobs, the cache.

    Built for each call from the runtime's current settings (a test may swap
    the runtime's cache); ``learn`` is told of every run that ends, so the
    runtime learns its environment and dbt version.
    """

    connection: Connection
    account_id: str
    jobs: JobPlan
    cache: ArtifactCache
    learn: Callable[[Run], None]

    def run(self, arguments: DbtArguments, project_dir: Path, target: str) -> DBTRunResult:
        """Run ``dbt <command>`` on its job and count the result from the step's artifacts.

        Raises:
            DBTConfigurationError: ``target`` is not a profile target name.
            DBTCompilationError: The project did not compile in dbt Cloud.
            DBTExecutionError: The run was cancelled or failed before dbt wrote results.
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        with _call(arguments, project_dir, target) as (span, directory):
            job_id = self.jobs.job_for(arguments.command.name)
            started = self.connection.clock()
            finished = self._execute(arguments, job_id, target)
            result, artifacts = collect(
                finished,
                job_id=job_id,
                account_id=self.account_id,
                target_dir=directory,
                seconds=self.connection.clock() - started,
            )
            # Only checked, scrubbed artifacts reach the project and the cache.
            self.save(directory, finished.run, job_id, artifacts)
            record_result(span, result)
            return result

    def compile(self, arguments: DbtArguments, project_dir: Path, target: str) -> Path:
        """Run the compile job and keep its ``manifest.json``; return where it is.

        Raises:
            DBTCompilationError: The project does not parse or compile (the step's log says so).
            DBTExecutionError: dbt could not run at all (a profile or target it cannot use).
            DBTExecutionTimeout: The run did not finish within ``timeout_seconds``.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        job_id = self.jobs.contract.compile
        with _call(arguments, project_dir, target) as (_span, directory):
            finished = self._execute(arguments, job_id, target)
            if finished.status != RunStatus.SUCCESS:
                # DBTCompilationError when the step's log says the project does not
                # parse or compile; DBTExecutionError when dbt could not run at all.
                raise finished.error()
            manifest = finished.fetch(MANIFEST_JSON, required=True)
            assert manifest is not None
            finished.check(MANIFEST_JSON, manifest)
            self.save(directory, finished.run, job_id, {MANIFEST_JSON: manifest})
            return directory / MANIFEST_JSON

    def latest_manifest(
        self, project_dir: Path, vars: DbtVars, *, no_cache: bool
    ) -> dict[str, Any]:
        """The cache's newest live manifest, else the compile job's last good run's, kept.

        Raises:
            DBTArtifactNotFoundError: Nothing cached and the compile job has no
                successful run that saved a manifest.
            DBTRemoteError: dbt Cloud answered with an error.
        """
        compile_job = self.jobs.contract.compile
        if not no_cache:
            jobs = [compile_job, self.jobs.contract.run, self.jobs.contract.test]
            entry = self.cache.latest(MANIFEST_JSON, account_id=self.account_id, job_ids=jobs)
            document = self.cache.read(entry, MANIFEST_JSON) if entry else None
            if document is not None:
                return document
        scrub = artifact_scrubber(self.connection.token, vars.secrets)
        finished = latest_successful(self.connection.client, compile_job, COMPILE.name, scrub=scrub)
        content = finished.fetch(MANIFEST_JSON, required=True)
        assert content is not None
        manifest = finished.check(MANIFEST_JSON, content)
        directory = target_dir(project_dir, create=True)
        self.save(directory, finished.run, compile_job, {MANIFEST_JSON: content})
        return manifest

    def save(self, directory: Path, run: Run, job_id: int, artifacts: dict[str, bytes]) -> None:
        """Write checked artifacts into the project's target directory and the cache."""
        save_artifacts(directory, artifacts)
        self.cache.store(run.id, account_id=self.account_id, job_id=job_id, artifacts=artifacts)

    def _execute(self, arguments: DbtArguments, job_id: int, target: str) -> FinishedRun:
        """Trigger the job, wait for the run to end, and tell the runtime about it."""
        connection = self.connection
        finished = execute(
            connection.client,
            job_id,
            arguments.command.name,
            steps_override(arguments),
            target=target,
            waiting=connection.waiting,
            scrub=artifact_scrubber(connection.token, arguments.vars.secrets),
            on_poll=StepLogFollower(arguments.vars.secrets),  # the run's progress, as it arrives
        )
        self.learn(finished.run)
        return finished


@contextmanager
def _call(arguments: DbtArguments, project_dir: Path, target: str) -> Iterator[tuple[Span, Path]]:
    """The call's span, and inside it its target directory, with its secret vars redacted.

    Raises:
        DBTConfigurationError: ``target`` is not a profile target name.
        DBTExecutionError: The target directory cannot be made.
    """
    validate_target(target)
    command = arguments.command.name
    with dbt_span(command, runtime=RUNTIME_TYPE, target=target, **arguments.span_options()) as span:
        if arguments.vars:
            # Names only: a var's value may be a credential.
            span.set_attribute("floe.dbt.var_names", sorted(arguments.vars))
        directory = target_dir(project_dir, create=True)  # before the run: artifacts go there
        # Inside the span: its error event holds no secret either.
        with redacting(arguments.vars.secrets):
            yield span, directory
