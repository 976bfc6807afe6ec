"""The cloud runtime's harness for the compliance kit: a ``pytest11`` plugin of floe-dbt.

``pytest --floe-dbt-compliance --floe-dbt-runtime cloud`` certifies ``cloud``
from any directory:

* by default on the bundled dbt Cloud emulator, served on 127.0.0.1 (a free
  port) once per session, or per xdist worker, and stopped when it ends; each
  kit check gets its own emulated project (the kit's fresh copy, run by real
  dbt-core), cache directory and runtime instances;
* with ``--floe-dbt-cloud-live``, against a real dbt Cloud account named by
  the ``FLOE_DBT_CLOUD_LIVE_*`` environment variables
  (:class:`~floe_dbt_cloud_emulator.live_settings.LiveSettings`).

It answers ``pytest_floe_dbt_harness`` as a package does, ``trylast``: a
``pytest_floe_dbt_harness`` in the user's conftest.py always wins over it.
Nothing heavy is imported until the kit asks for ``cloud``: pytest loads
this module in every session of everyone who installs floe-dbt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

if TYPE_CHECKING:
    import httpx
    from floe_dbt_compliance.harness import RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy

    from floe_dbt_cloud.plugin import DBTCloudPlugin
    from floe_dbt_cloud_emulator.live_settings import LiveSettings

__all__ = ["EmulatorHarness", "LiveHarness"]

RUNTIME = "cloud"
SESSION_PLUGIN = "floe_dbt_cloud_kit.session"
LIVE_PREFIX = "FLOE_DBT_CLOUD_LIVE_"
_EMULATOR_POLL_SECONDS = 0.05
_EMULATOR_TIMEOUT_SECONDS = 300.0
_TTL_HOURS = 24.0
WAREHOUSE_NOT_OBSERVABLE = (
    "live mode: the kit cannot read the warehouse of a dbt Cloud account, so the rows about "
    "tables, row counts and incremental loads are not checked live (the emulator "
    "certification checks them on DuckDB and PostgreSQL)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--floe-dbt-cloud-live``."""
    group = parser.getgroup("floe-dbt", "floe-dbt compliance kit")
    group.addoption(
        "--floe-dbt-cloud-live",
        action="store_true",
        default=False,
        help="Certify the cloud runtime against a real dbt Cloud account named by the "
        f"{LIVE_PREFIX}* environment variables, instead of the bundled emulator.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """With the kit on, register the session's harness (emulator, or live account)."""
    if not config.getoption("floe_dbt_compliance", False):
        return
    harness: EmulatorHarness | LiveHarness
    if config.getoption("floe_dbt_cloud_live", False):
        try:
            # Imported here: it loads floe_core, which pytest would otherwise import in every
            # session before coverage (or anything else) could start.
            from floe_dbt_cloud_emulator.live_settings import LiveSettings

            harness = LiveHarness(LiveSettings.from_environment(os.environ))
        except ValueError as exc:
            raise pytest.UsageError(f"--floe-dbt-cloud-live: {exc}") from None
    else:
        harness = EmulatorHarness()
    config.pluginmanager.register(harness, SESSION_PLUGIN)
    config.add_cleanup(harness.close)


class EmulatorHarness:
    """``cloud`` on the bundled emulator, started on first use and stopped by :meth:`close`."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._served: tuple[Any, Any] | None = None

    def _serve(self) -> tuple[Any, Any]:
        with self._lock:
            if self._served is None:
                try:
                    from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator
                except ImportError as exc:
                    raise ImportError(
                        "certifying the cloud runtime needs it and the bundled dbt Cloud "
                        f"emulator: pip install 'floe-dbt[cloud]' ({type(exc).__name__}: {exc})"
                    ) from exc
                emulator = self._stack.enter_context(DbtCloudEmulator())
                self._served = (emulator, self._stack.enter_context(serve_emulator(emulator)))
            return self._served

    @pytest.hookimpl(trylast=True)
    def pytest_floe_dbt_harness(
        self, name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
    ) -> RuntimeHarness | None:
        """Build ``cloud`` on an emulated copy of ``project``."""
        if name != RUNTIME:
            return None
        return self.harness(project, tmp_path_factory)

    def harness(
        self,
        project: ProjectCopy,
        tmp_path_factory: pytest.TempPathFactory,
        runtime_class: type[DBTCloudPlugin] | None = None,
    ) -> RuntimeHarness:
        """``runtime_class`` (``DBTCloudPlugin`` or a subclass) on an emulated copy of ``project``.

        A conftest certifying its own subclass of the cloud runtime on the
        bundled emulator calls this from its ``pytest_floe_dbt_harness``.
        """
        from floe_dbt_compliance import RuntimeHarness

        emulator, server = self._serve()  # first: it says what to install when it cannot
        from floe_dbt_cloud.plugin import DBTCloudPlugin
        from floe_dbt_cloud_emulator.kit_remote import EmulatedService

        runtime = runtime_class or DBTCloudPlugin
        cache_dir = tmp_path_factory.mktemp("cloud-cache")
        served: list[DBTCloudPlugin] = []

        def on(copy: ProjectCopy) -> Callable[..., DBTCloudPlugin]:
            # One dbt Cloud project per dbt project (its jobs run its repository); every
            # instance shares one cache directory, as the default location would be.
            emulated = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)

            def build(**options: Any) -> DBTCloudPlugin:
                # The kit's options (no_cache=True, a short timeout ...) win over these.
                settings: dict[str, Any] = {
                    "poll_interval_seconds": _EMULATOR_POLL_SECONDS,
                    "timeout_seconds": _EMULATOR_TIMEOUT_SECONDS,
                    "cache_ttl_hours": _TTL_HOURS,
                    "cache_dir": cache_dir,
                    "discovery_url": server.discovery_url,
                    "environment_id": emulated.environment_id,
                }
                return runtime(
                    str(emulator.account_id),
                    SecretStr(emulator.token),
                    server.base_url,
                    emulated.job_ids,
                    **{**settings, **options},
                )

            return build

        def another_project(copy: ProjectCopy) -> DBTCloudPlugin:
            served.append(on(copy)())
            return served[-1]

        def close() -> None:
            while served:
                served.pop().close()

        build = on(project)
        return RuntimeHarness.for_project(
            project,
            build,
            remote_calls=lambda: int(emulator.counters.requests_total),
            cache_root=cache_dir,
            cache_ttl_hours=_TTL_HOURS,
            secrets=(emulator.token,),
            close=close,
            serve_project=another_project,
            remote=EmulatedService(emulator),
        )

    def close(self) -> None:
        """Stop the server and the emulator, if they were started."""
        self._stack.close()
        self._served = None


def _not_served_live(project: ProjectCopy) -> Any:
    from floe_dbt_compliance.harness import not_applicable

    not_applicable(
        f"live mode: the kit cannot deploy its copy of {project.name!r} into the account's "
        "repository beside the first project's, so one deployment serving several projects is "
        "certified on the emulator only"
    )


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


def _counting_transport(counter: _Counter) -> httpx.BaseTransport:
    """An HTTP transport that counts the requests it sends (what live mode can count)."""
    import httpx

    class CountingTransport(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            counter.add()
            return super().handle_request(request)

    return CountingTransport()


class LiveHarness:
    """``cloud`` against a real dbt Cloud account.

    What live mode observes: everything the runtime returns and writes
    locally (results, artifacts, spans, metadata, the cache) and the requests
    it sends. What it cannot: the account's warehouse (those checks are n/a)
    and projects other than those its jobs run (the kit cannot deploy its fresh
    copies, or a generated project, into the account's repository: n/a). The
    account's jobs must run the kit's own fixture project of that name.
    """

    def __init__(self, settings: LiveSettings) -> None:
        from floe_core.secrets import EnvSecretsPlugin

        self.settings = settings
        try:
            self._token = EnvSecretsPlugin().get_secret(settings.api_token_ref)
        except Exception as exc:  # a bad reference or a missing variable: both say which
            raise ValueError(f"{LIVE_PREFIX}API_TOKEN_REF: {exc}") from None

    @pytest.hookimpl(trylast=True)
    def pytest_floe_dbt_harness(
        self, name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
    ) -> RuntimeHarness | None:
        """Build ``cloud`` on the account's jobs for ``project``, or report it n/a."""
        if name != RUNTIME:
            return None
        from floe_dbt_compliance import RuntimeHarness
        from floe_dbt_compliance.harness import WAREHOUSE, not_applicable

        from floe_dbt_cloud.plugin import DBTCloudPlugin

        settings = self.settings
        jobs = settings.job_ids.get(project.name)
        if jobs is None:
            not_applicable(
                f"live mode: no dbt Cloud job runs the kit's project {project.name!r} "
                f"({LIVE_PREFIX}JOB_IDS names {', '.join(sorted(settings.job_ids))}); the kit "
                "cannot deploy its own copy into the account's repository"
            )
        cache_dir = tmp_path_factory.mktemp("cloud-live-cache")
        counter = _Counter()
        optional: dict[str, Any] = {}
        if settings.base_url:
            optional["base_url"] = settings.base_url
        if settings.discovery_url:
            optional["discovery_url"] = settings.discovery_url

        def build(**options: Any) -> DBTCloudPlugin:
            return DBTCloudPlugin(
                settings.account_id,
                self._token,
                job_ids=jobs,
                poll_interval_seconds=settings.poll_interval_seconds,
                timeout_seconds=settings.timeout_seconds,
                cache_ttl_hours=_TTL_HOURS,
                cache_dir=cache_dir,
                transport=_counting_transport(counter),
                **optional,
                **options,
            )

        return RuntimeHarness.for_project(
            project,
            build,
            remote_calls=lambda: counter.value,
            cache_root=cache_dir,
            cache_ttl_hours=_TTL_HOURS,
            secrets=(self._token.get_secret_value(),),
            unobservable={WAREHOUSE: WAREHOUSE_NOT_OBSERVABLE},
            serve_project=_not_served_live,
        )

    def close(self) -> None:
        """Nothing is held between checks: each harness closes its own clients."""
