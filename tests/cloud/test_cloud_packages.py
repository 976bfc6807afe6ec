"""Projects with packages through the cloud runtime: DBTCloudPlugin against the emulator on
loopback, real dbt-core on DuckDB; each run installs the packages in a `dbt deps` step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaged_projects import HUB_PACKAGE, packaged_project
from pydantic import SecretStr

from floe_core.errors import DBTExecutionError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

Cloud = Callable[..., tuple[DbtCloudEmulator, DBTCloudPlugin]]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    """An emulator on 127.0.0.1 serving a project, and the runtime configured for it."""
    opened: list[Any] = []

    def start(project: Path, **emulator_options: Any) -> tuple[DbtCloudEmulator, DBTCloudPlugin]:
        emulator = DbtCloudEmulator(**emulator_options)
        context = serve_emulator(emulator)
        server = context.__enter__()
        opened.append((emulator, context))
        served = emulator.add_project(project, project, "dev")
        plugin = DBTCloudPlugin(
            str(emulator.account_id),
            SecretStr(emulator.token),
            server.base_url,
            served.job_ids,
            poll_interval_seconds=0.2,
            timeout_seconds=120.0,
            cache_dir=tmp_path / "cache",
        )
        opened.append(plugin)
        return emulator, plugin

    yield start
    for item in reversed(opened):
        if isinstance(item, DBTCloudPlugin):
            item.close()
        else:
            emulator, context = item
            context.__exit__(None, None, None)
            emulator.close()


def _steps(emulator: DbtCloudEmulator) -> list[tuple[str, int]]:
    run = emulator.list_runs()[-1]
    return [(step.name, step.status) for step in run.steps]


def test_a_run_installs_local_and_installed_hub_packages_and_builds_their_models(
    tmp_path: Path, cloud: Cloud, query: Callable[[Path, str], list[tuple[Any, ...]]]
) -> None:
    project = packaged_project(tmp_path / "repo")
    emulator, plugin = cloud(project, package_index=False)

    result = plugin.run_models(project, project, "dev")

    assert (result.success, result.models_run, result.failures) == (True, 3, 0)
    assert result.metadata["step"] == 4  # clone, profile, deps, then `dbt run`
    assert _steps(emulator) == [
        ("Clone Git Repository", 10),
        ("Create Profile from Connection", 10),
        ("Invoke dbt with `dbt deps`", 10),
        ("Invoke dbt with `dbt run`", 10),
    ]
    deps_log = emulator.list_runs()[-1].steps[2].logs
    assert "Installed from <local @ ../shared/helpers>" in deps_log
    assert "Installed from version 1.2.0 (installed in dbt_packages/floe_utils)" in deps_log
    database = project / "analytics.duckdb"
    assert query(database, "select n, doubled, tripled from orders order by n") == [
        (1, 2, 3),
        (2, 4, 6),
        (3, 6, 9),
    ]
    assert query(database, "select count(*) from helper_numbers") == [(3,)]
    assert query(database, "select count(*) from utils_calendar") == [(3,)]
    # Every run installs them again; the test job runs the project's test on them.
    tested = plugin.run_tests(project, project, "dev")
    assert (tested.success, tested.tests_run, tested.failures) == (True, 1, 0)
    assert [name for name, _ in _steps(emulator)][2] == "Invoke dbt with `dbt deps`"
    # The caller's project is as it was: nothing was installed into it.
    assert sorted(p.name for p in (project / "dbt_packages").iterdir()) == ["floe_utils"]


@pytest.mark.parametrize(
    ("packages", "named"),
    [
        ([{"local": "../nowhere"}], "local: ../nowhere"),
        (
            [{"local": "../shared/helpers"}, {"package": "floe-tests/absent", "version": "1.0.0"}],
            "floe-tests/absent (version 1.0.0)",
        ),
        ([{"package": HUB_PACKAGE, "version": ">=2.0.0"}], f"{HUB_PACKAGE} (version >=2.0.0)"),
    ],
    ids=["missing-local", "hub-not-installed", "hub-wrong-version"],
)
def test_a_package_that_cannot_be_had_fails_the_run_naming_it(
    tmp_path: Path, cloud: Cloud, packages: list[dict[str, object]], named: str
) -> None:
    project = packaged_project(tmp_path / "repo", packages=packages)
    emulator, plugin = cloud(project, package_index=False)

    with pytest.raises(DBTExecutionError) as raised:
        plugin.run_models(project, project, "dev")

    message = str(raised.value)
    assert message.startswith(f"dbt Cloud run {emulator.list_runs()[-1].id} (dbt run) ended with")
    assert "Runtime Error\n  Could not install 1 package (" in message
    assert named in message
    run = emulator.list_runs()[-1]
    assert run.status == 20
    assert _steps(emulator) == [
        ("Clone Git Repository", 10),
        ("Create Profile from Connection", 10),
        ("Invoke dbt with `dbt deps`", 20),
    ]
    assert not (project / "analytics.duckdb").exists()  # dbt never ran


def test_with_the_package_index_a_package_it_cannot_serve_still_fails_the_run(
    tmp_path: Path, cloud: Cloud
) -> None:
    # Offline (here) dbt deps cannot reach the hub; online the hub has no such package.
    packages = [{"package": "floe-tests/no_such_package_anywhere", "version": "1.0.0"}]
    project = packaged_project(tmp_path / "repo", packages=packages)
    emulator, plugin = cloud(project, package_index=True)

    with pytest.raises(DBTExecutionError) as raised:
        plugin.run_models(project, project, "dev")

    message = str(raised.value)
    assert "Could not install 1 package; dbt deps failed: " in message
    assert "floe-tests/no_such_package_anywhere (version 1.0.0): not installed" in message
    assert emulator.list_runs()[-1].status == 20
