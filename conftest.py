"""Wires the reference runtimes into the compliance kit.

``local`` and ``fusion`` need nothing: the kit builds them with no arguments.
``cloud`` is certified against the bundled dbt Cloud emulator, served on
127.0.0.1 (a free port) once per session — or per xdist worker — and stopped
when the session ends; every kit test gets its own emulated project, cache
directory and runtime instances.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any

import pytest

_CLOUD_POLL_SECONDS = 0.05
_CLOUD_TIMEOUT_SECONDS = 300.0
_CLOUD_TTL_HOURS = 24.0


class _CloudSession:
    """One emulator served on loopback, started on first use."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.emulator: Any = None
        self.server: Any = None

    def start(self) -> None:
        if self.server is not None:
            return
        from floe_dbt_cloud.emulator import DbtCloudEmulator, serve_emulator

        self.emulator = self._stack.enter_context(DbtCloudEmulator())
        self.server = self._stack.enter_context(serve_emulator(self.emulator))

    def stop(self) -> None:
        self._stack.close()
        self.emulator = self.server = None


_cloud = _CloudSession()


def pytest_configure(config: pytest.Config) -> None:
    # dbt-core sends anonymous usage events to the internet by default; tests and the
    # certification of this repository keep every request on loopback.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def pytest_unconfigure(config: pytest.Config) -> None:
    _cloud.stop()


def pytest_floe_dbt_harness(
    name: str, project: str, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    if name != "cloud":
        return None
    from floe_dbt_compliance import RuntimeHarness
    from floe_dbt_compliance.projects import copy_project
    from pydantic import SecretStr

    from floe_dbt_cloud import DBTCloudPlugin

    _cloud.start()
    emulator, server = _cloud.emulator, _cloud.server
    copy = copy_project(project, tmp_path_factory.mktemp(f"cloud-{project}"))
    emulated = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
    cache_dir = tmp_path_factory.mktemp("cloud-cache")
    built: list[DBTCloudPlugin] = []

    def new_instance(**options: Any) -> DBTCloudPlugin:
        plugin = DBTCloudPlugin(
            str(emulator.account_id),
            SecretStr(emulator.token),
            server.base_url,
            emulated.job_ids,
            poll_interval_seconds=_CLOUD_POLL_SECONDS,
            timeout_seconds=_CLOUD_TIMEOUT_SECONDS,
            cache_ttl_hours=_CLOUD_TTL_HOURS,
            cache_dir=cache_dir,
            discovery_url=server.discovery_url,
            environment_id=emulated.environment_id,
            **options,
        )
        built.append(plugin)
        return plugin

    def close() -> None:
        for plugin in built:
            plugin.close()

    return RuntimeHarness(
        plugin=new_instance(),
        project_dir=copy.project_dir,
        profiles_dir=copy.profiles_dir,
        target=copy.target,
        new_instance=new_instance,
        database_path=copy.database_path,
        remote_calls=lambda: emulator.counters.requests_total,
        cache_root=cache_dir,
        cache_ttl_hours=_CLOUD_TTL_HOURS,
        secrets=(emulator.token,),
        close=close,
    )
