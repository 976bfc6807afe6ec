"""DBTCloudPlugin against the emulator on loopback, running real dbt-core on real DuckDB files.

The counts must be the ones the local runtime reports for the same project
(the fixture READMEs), and the effects must land in the caller's database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from cloud_helpers import Served
from floe_dbt_compliance.projects import copy_project

from floe_core.errors import DBTArtifactNotFoundError, DBTCompilationError, DBTExecutionError
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _counts(result: object) -> tuple[object, ...]:
    return tuple(
        getattr(result, name) for name in ("models_run", "tests_run", "failures", "success")
    )


def test_healthy_project_compile_run_select_exclude_full_refresh_and_test(
    serve: Callable[..., Served],
) -> None:
    served = serve("healthy")
    copy = served.copy
    plugin = served.plugin()
    manifest_path = plugin.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    assert manifest_path == copy.project_dir / "target" / "manifest.json"
    assert "model.healthy.customers" in json.loads(manifest_path.read_text())["nodes"]

    first = plugin.run_models(copy.project_dir, copy.profiles_dir, copy.target)
    assert _counts(first) == (5, 0, 0, True)
    assert first.run_results_path.is_file()
    assert first.metadata["step"] == 3  # clone, profile, then `dbt run`
    database = copy.database_path
    assert _query(database, "select count(*) from customers") == [(3,)]
    assert _query(database, "select distinct load_mode from fct_orders") == [("full",)]

    assert _counts(plugin.run_models(copy.project_dir, copy.profiles_dir, copy.target)) == (
        5,
        0,
        0,
        True,
    )
    assert _query(database, "select distinct load_mode from fct_orders") == [("incremental",)]
    refreshed = plugin.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, full_refresh=True
    )
    assert _counts(refreshed) == (5, 0, 0, True)
    assert _query(database, "select distinct load_mode from fct_orders") == [("full",)]

    selected = plugin.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="customers"
    )
    assert _counts(selected) == (1, 0, 0, True)
    assert (
        plugin.get_run_results(copy.project_dir)["results"][0]["unique_id"]
        == "model.healthy.customers"
    )
    excluded = plugin.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, exclude="fct_orders"
    )
    assert _counts(excluded) == (4, 0, 0, True)

    tested = plugin.run_tests(copy.project_dir, copy.profiles_dir, copy.target)
    assert _counts(tested) == (0, 7, 0, True)
    assert served.emulator.counters.runs_triggered == 7

    environment = plugin.get_environment_metadata()
    assert environment["environment_id"] == served.project.environment_id
    assert {m["name"] for m in environment["models"]} == {
        "raw_customers",
        "raw_orders",
        "stg_orders",
        "customers",
        "fct_orders",
    }
    assert {m["last_run_status"] for m in environment["models"]} == {"success"}
    plugin.close()


@pytest.mark.parametrize(
    ("project", "run_counts", "test_counts"),
    [
        ("healthy", (5, 0, 0, True), (0, 7, 0, True)),
        ("failing_test", (2, 0, 0, True), (0, 3, 1, False)),
        ("sql_error", (2, 0, 1, False), None),
    ],
)
def test_the_counts_are_the_ones_the_local_runtime_gives(
    serve: Callable[..., Served],
    tmp_path: Path,
    project: str,
    run_counts: tuple[object, ...],
    test_counts: tuple[object, ...] | None,
) -> None:
    served = serve(project)
    plugin = served.plugin()
    local = LocalDBTPlugin(lock_timeout_seconds=300)
    local_copy = copy_project(project, tmp_path / "local")
    args = (served.copy.project_dir, served.copy.profiles_dir, served.copy.target)
    local_args = (local_copy.project_dir, local_copy.profiles_dir, local_copy.target)

    cloud_run = plugin.run_models(*args)
    local_run = local.run_models(*local_args)
    assert _counts(cloud_run) == _counts(local_run) == run_counts
    if test_counts is not None:
        cloud_test = plugin.run_tests(*args)
        assert _counts(cloud_test) == _counts(local.run_tests(*local_args)) == test_counts
        # dbt Cloud marks a run with a failing test as failed
        assert cloud_test.metadata["status"] == ("Success" if cloud_test.success else "Error")


def test_an_unparseable_project_is_a_compilation_error(serve: Callable[..., Served]) -> None:
    served = serve("unparseable")
    plugin = served.plugin()
    args = (served.copy.project_dir, served.copy.profiles_dir, served.copy.target)
    with pytest.raises(DBTCompilationError, match=r"dbt Cloud run \d+ could not compile"):
        plugin.compile_project(*args)
    with pytest.raises(DBTCompilationError, match="Compilation Error"):
        plugin.run_models(*args)
    assert not (served.cache_dir.exists() and any(served.cache_dir.iterdir()))


def test_one_connection_serves_a_whole_run_and_requests_are_few(
    serve: Callable[..., Served],
) -> None:
    served = serve("healthy")
    counters = served.emulator.counters
    before = counters.snapshot()
    with served.plugin(poll_interval_seconds=0.5) as plugin:
        plugin.run_models(served.copy.project_dir, served.copy.profiles_dir, served.copy.target)
        plugin.run_tests(served.copy.project_dir, served.copy.profiles_dir, served.copy.target)
    used = counters.snapshot() - before
    assert used.connections_accepted == 1
    assert used.requests_by_route["trigger_run"] == 2
    assert used.requests_by_route["get_artifact"] == 4  # run_results + manifest, per run
    assert used.cancels_received == 0


def _cached_at(entry: Path) -> datetime:
    return datetime.fromisoformat(
        json.loads((entry / "metadata.json").read_text())["cached_at"].replace("Z", "+00:00")
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def test_cache_hit_miss_expiry_disable_and_no_cache(
    serve: Callable[..., Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = serve("healthy")
    copy = served.copy
    counters = served.emulator.counters
    plugin = served.plugin()
    plugin.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    [compiled] = list(served.cache_dir.iterdir())
    metadata = json.loads((compiled / "metadata.json").read_text())
    assert metadata["job_id"] == str(served.project.job_ids["compile"])
    assert metadata["artifacts"] == ["manifest.json"]

    requests = counters.requests_total
    fresh = served.plugin()  # another process, same cache: a hit, no request
    manifest = fresh.get_manifest(copy.project_dir)
    assert "model.healthy.customers" in manifest["nodes"]
    assert counters.requests_total == requests

    no_cache = served.plugin(no_cache=True)
    assert no_cache.get_manifest(copy.project_dir) == manifest
    assert counters.requests_by_route["list_runs"] == 1
    assert "get_job_artifact" not in counters.requests_by_route
    assert [entry.name for entry in served.cache_dir.iterdir()] == [compiled.name]
    no_cache.run_models(copy.project_dir, copy.profiles_dir, copy.target, select="customers")
    assert len(list(served.cache_dir.iterdir())) == 2  # no_cache still refreshes the cache

    monkeypatch.setenv("FLOE_DISABLE_CACHE", "true")
    disabled = served.plugin()
    cached = _files(served.cache_dir)
    assert disabled.get_manifest(copy.project_dir) == manifest
    assert counters.requests_by_route["list_runs"] == 2
    disabled.run_models(copy.project_dir, copy.profiles_dir, copy.target, select="customers")
    assert _files(served.cache_dir) == cached  # nothing read into or written to the cache
    assert (copy.project_dir / "target" / "run_results.json").is_file()  # the project still is
    monkeypatch.delenv("FLOE_DISABLE_CACHE")

    for directory in served.cache_dir.iterdir():  # age every entry past the 24 h TTL
        document = json.loads((directory / "metadata.json").read_text())
        document["cached_at"] = "2020-01-01T00:00:00Z"
        (directory / "metadata.json").write_text(json.dumps(document))
    (copy.project_dir / "target" / "manifest.json").unlink()
    before = datetime.now(timezone.utc)
    expired = served.plugin()
    assert expired.get_manifest(copy.project_dir) == manifest
    assert counters.requests_by_route["list_runs"] == 3
    assert json.loads((copy.project_dir / "target" / "manifest.json").read_bytes()) == manifest
    # The compile run's entry was refreshed in place; the run's entry was left to expire.
    assert _cached_at(compiled) >= before - timedelta(seconds=1)
    others = [entry for entry in served.cache_dir.iterdir() if entry != compiled]
    assert [_cached_at(entry).year for entry in others] == [2020]

    requests = counters.requests_total
    assert expired.get_manifest(copy.project_dir) == manifest  # a hit again: no remote call
    assert served.plugin().get_manifest(copy.project_dir) == manifest
    assert counters.requests_total == requests


def test_get_manifest_before_any_run_is_a_clear_error(serve: Callable[..., Served]) -> None:
    served = serve("healthy")
    job = served.project.job_ids["compile"]
    with pytest.raises(
        DBTArtifactNotFoundError, match=f"compile job {job} has no successful run.*compile_project"
    ):
        served.plugin().get_manifest(served.copy.project_dir)
    with pytest.raises(DBTArtifactNotFoundError):
        served.plugin().get_run_results(served.copy.project_dir)


@pytest.mark.parametrize(("wrong", "named"), [("profile", "no_such_profile"), ("target", "nope")])
def test_a_profile_or_target_dbt_cannot_use_is_an_execution_error_naming_it(
    serve: Callable[..., Served], wrong: str, named: str
) -> None:
    """As with dbt-core: not a compilation error, and the message names what is wrong."""
    served = serve("healthy")
    copy = served.copy
    target = named if wrong == "target" else copy.target
    if wrong == "profile":
        settings = copy.project_dir / "dbt_project.yml"
        settings.write_text(
            settings.read_text().replace("profile: healthy", f"profile: {named}"), "utf-8"
        )
    plugin = served.plugin()
    for call in (plugin.compile_project, plugin.run_models):
        with pytest.raises(DBTExecutionError) as raised:
            call(copy.project_dir, copy.profiles_dir, target)
        assert not isinstance(raised.value, DBTCompilationError)
        assert named in str(raised.value)
    # The caller's target reached dbt Cloud as the run's target name.
    assert {run.steps[1].logs for run in served.emulator.runs.values()} == {
        f"Using target {target}"
    }
