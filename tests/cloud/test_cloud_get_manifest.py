"""get_manifest() against pytest-httpx: hit, miss, expiry, corruption, no_cache, disabled cache.

On a miss the runtime lists the compile job's latest successful run, reads
its steps, fetches the manifest of the step that ran ``dbt compile`` and
caches it under that run (REQ-092).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cloud_helpers import (
    ACCOUNT,
    API,
    T0,
    FakeTime,
    UtcClock,
    manifest,
    run_payload,
    runs_page,
    step,
    unit_plugin,
)
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTArtifactNotFoundError, DBTRemoteError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.cache import ArtifactCache

COMPILE_JOB = 11
OLD = manifest("model.p.old")
NEW = manifest("model.p.customers")
# A compile job whose last step is docs: the manifest must come from step 3.
COMPILE_STEPS = [
    step(1, "Clone Git Repository"),
    step(2, "Create Profile from Connection"),
    step(3, "Invoke dbt with `dbt compile`"),
    step(4, "Invoke dbt with `dbt docs generate`"),
]
LIST_URL = f"{API}/runs/?job_definition_id={COMPILE_JOB}&order_by=-id&status=10&limit=1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return tmp_path / "proj"


@pytest.fixture
def plugin(tmp_path: Path, fake_time: FakeTime, clock: UtcClock) -> DBTCloudPlugin:
    return _plugin(tmp_path, fake_time, clock)


def _plugin(
    tmp_path: Path, fake_time: FakeTime, clock: UtcClock, **options: object
) -> DBTCloudPlugin:
    plugin = unit_plugin(tmp_path, fake_time, **options)
    # enabled=None: FLOE_DISABLE_CACHE still decides, as in the runtime's own cache.
    plugin.cache = ArtifactCache(plugin.cache.root, host=plugin.cache.host, ttl_hours=24, now=clock)
    return plugin


def _mock_latest_compile_run(
    httpx_mock: HTTPXMock, run_id: int = 640, manifest: bytes = NEW, manifest_status: int = 200
) -> None:
    httpx_mock.add_response(
        url=LIST_URL, json=runs_page(run_payload(run_id, 10, job_id=COMPILE_JOB), total_count=4)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/?include_related=run_steps",
        json=run_payload(run_id, 10, job_id=COMPILE_JOB, steps=COMPILE_STEPS),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/artifacts/manifest.json?step=3",
        content=manifest,
        status_code=manifest_status,
    )


def _cache_old(plugin: DBTCloudPlugin, run_id: int) -> None:
    plugin.cache.store(
        run_id, account_id=ACCOUNT, job_id=COMPILE_JOB, artifacts={"manifest.json": OLD}
    )


def _requests(httpx_mock: HTTPXMock) -> list[tuple[str, str, str]]:
    return [(r.method, r.url.path, r.url.query.decode()) for r in httpx_mock.get_requests()]


def _metadata(plugin: DBTCloudPlugin, run_id: int) -> dict[str, object]:
    document = json.loads((plugin.cache.root / str(run_id) / "metadata.json").read_text())
    assert isinstance(document, dict)
    return document


def _entries(plugin: DBTCloudPlugin) -> list[str]:
    root = plugin.cache.root
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_a_miss_fetches_the_compile_step_of_the_latest_successful_run_and_caches_it(
    tmp_path: Path, project: Path, fake_time: FakeTime, clock: UtcClock, httpx_mock: HTTPXMock
) -> None:
    _mock_latest_compile_run(httpx_mock)
    plugin = _plugin(tmp_path, fake_time, clock)
    assert plugin.get_manifest(project) == json.loads(NEW)
    prefix = f"/api/v2/accounts/{ACCOUNT}"
    assert _requests(httpx_mock) == [
        ("GET", f"{prefix}/runs/", "job_definition_id=11&order_by=-id&status=10&limit=1"),
        ("GET", f"{prefix}/runs/640/", "include_related=run_steps"),
        ("GET", f"{prefix}/runs/640/artifacts/manifest.json", "step=3"),
    ]
    assert (project / "target" / "manifest.json").read_bytes() == NEW
    assert _metadata(plugin, 640) == {
        "cached_at": "2026-03-01T10:00:00Z",
        "run_id": "640",
        "account_id": ACCOUNT,
        "job_id": "11",
        "artifacts": ["manifest.json"],
        "host": "cloud.getdbt.com",
    }
    # The next call, from another instance sharing the cache, is a hit.
    assert _plugin(tmp_path, fake_time, clock).get_manifest(project) == json.loads(NEW)
    assert len(httpx_mock.get_requests()) == 3


def test_an_expired_entry_is_refetched_and_its_cached_at_moves_to_now(
    plugin: DBTCloudPlugin, project: Path, clock: UtcClock, httpx_mock: HTTPXMock
) -> None:
    _cache_old(plugin, 640)
    clock.now = T0 + timedelta(hours=23)
    assert plugin.get_manifest(project) == json.loads(OLD)  # within the TTL: a hit
    assert httpx_mock.get_requests() == []

    clock.now = T0 + timedelta(hours=25)
    _mock_latest_compile_run(httpx_mock)  # the same run, its manifest since rewritten
    assert plugin.get_manifest(project) == json.loads(NEW)
    assert len(httpx_mock.get_requests()) == 3
    assert _entries(plugin) == ["640"]
    assert _metadata(plugin, 640)["cached_at"] == "2026-03-02T11:00:00Z"
    assert (plugin.cache.root / "640" / "manifest.json").read_bytes() == NEW
    assert plugin.get_manifest(project) == json.loads(NEW)  # fresh again: no request
    assert len(httpx_mock.get_requests()) == 3


def test_a_corrupt_cached_manifest_is_a_miss_that_repairs_the_entry(
    plugin: DBTCloudPlugin, project: Path, clock: UtcClock, httpx_mock: HTTPXMock
) -> None:
    _cache_old(plugin, 640)
    (plugin.cache.root / "640" / "manifest.json").write_text("{ not json")
    _mock_latest_compile_run(httpx_mock)
    assert plugin.get_manifest(project) == json.loads(NEW)
    assert (plugin.cache.root / "640" / "manifest.json").read_bytes() == NEW


def test_no_cache_bypasses_a_fresh_entry_and_refreshes_the_cache(
    tmp_path: Path, project: Path, fake_time: FakeTime, clock: UtcClock, httpx_mock: HTTPXMock
) -> None:
    plugin = _plugin(tmp_path, fake_time, clock, no_cache=True)
    _cache_old(plugin, 500)
    clock.now = T0 + timedelta(hours=1)
    _mock_latest_compile_run(httpx_mock)
    assert plugin.get_manifest(project) == json.loads(NEW)
    assert len(httpx_mock.get_requests()) == 3
    assert _entries(plugin) == ["500", "640"]
    assert _metadata(plugin, 640)["cached_at"] == "2026-03-01T11:00:00Z"
    # An instance that reads the cache now gets the refreshed entry, offline.
    assert _plugin(tmp_path, fake_time, clock).get_manifest(project) == json.loads(NEW)
    assert len(httpx_mock.get_requests()) == 3


def test_floe_disable_cache_reads_and_writes_nothing(
    plugin: DBTCloudPlugin, project: Path, httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache_old(plugin, 500)
    before = _metadata(plugin, 500)
    monkeypatch.setenv("FLOE_DISABLE_CACHE", "true")
    _mock_latest_compile_run(httpx_mock)
    assert plugin.get_manifest(project) == json.loads(NEW)
    assert len(httpx_mock.get_requests()) == 3
    assert (project / "target" / "manifest.json").read_bytes() == NEW
    assert _entries(plugin) == ["500"]
    assert _metadata(plugin, 500) == before


def test_no_successful_run_is_a_clear_error_naming_the_job(
    plugin: DBTCloudPlugin, project: Path, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=LIST_URL, json=runs_page(total_count=0))
    with pytest.raises(DBTArtifactNotFoundError, match="compile job 11 has no successful run"):
        plugin.get_manifest(project)
    assert len(httpx_mock.get_requests()) == 1
    assert not (project / "target" / "manifest.json").exists()
    assert _entries(plugin) == []


def test_a_compile_step_without_a_manifest_names_the_run_and_step(
    plugin: DBTCloudPlugin, project: Path, httpx_mock: HTTPXMock
) -> None:
    _mock_latest_compile_run(httpx_mock, manifest=b"", manifest_status=404)
    with pytest.raises(DBTArtifactNotFoundError, match=r"run 640 step 3 saved no manifest\.json"):
        plugin.get_manifest(project)
    assert _entries(plugin) == []


def test_a_manifest_that_is_not_a_json_object_is_never_written(
    plugin: DBTCloudPlugin, project: Path, httpx_mock: HTTPXMock
) -> None:
    _mock_latest_compile_run(httpx_mock, manifest=b"[1, 2]")
    with pytest.raises(DBTRemoteError, match="nothing was cached"):
        plugin.get_manifest(project)
    assert not (project / "target" / "manifest.json").exists()
    assert _entries(plugin) == []


@pytest.mark.parametrize(("job_id", "status"), [(12, 10), (COMPILE_JOB, 20)])
def test_a_listed_run_that_does_not_match_the_filter_is_refused(
    plugin: DBTCloudPlugin, project: Path, httpx_mock: HTTPXMock, job_id: int, status: int
) -> None:
    httpx_mock.add_response(url=LIST_URL, json=runs_page(run_payload(641, status, job_id=job_id)))
    with pytest.raises(DBTRemoteError, match="successful runs of job 11 with run 641") as caught:
        plugin.get_manifest(project)
    assert caught.value.run_id == 641
    assert len(httpx_mock.get_requests()) == 1
    assert _entries(plugin) == []
