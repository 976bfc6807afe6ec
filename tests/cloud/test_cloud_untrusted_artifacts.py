"""Garbage is neither trusted nor cached (hardening, row 3).

Before the fix: a Discovery answer of the wrong shape gave "success" with no
models; a compile artifact of the wrong shape became ``target/manifest.json``
and was then served from the cache for 24 h without a request; any JSON
written into a cache entry was served as a manifest; and two dbt Cloud hosts
with the same account and job ids shared cache entries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloud_helpers import (
    ACCOUNT,
    API,
    TOKEN,
    FakeTime,
    catalog,
    manifest,
    run_payload,
    run_results,
    runs_page,
    step,
    unit_plugin,
)
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTRemoteError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.artifacts import ArtifactShapeError, parse_artifact
from floe_dbt_cloud.discovery import DiscoveryClient

COMPILE_JOB = 11
COMPILE_STEPS = [step(1, "Clone Git Repository"), step(2, "Invoke dbt with `dbt compile`")]
GOOD = manifest("model.p.customers")
LATEST_COMPILE = f"{API}/runs/?job_definition_id={COMPILE_JOB}&order_by=-id&status=10&limit=1"
SCHEMA = "https://schemas.getdbt.com/dbt/{}/v12.json"


def _wrong(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


WRONG_MANIFESTS = {
    "no metadata": _wrong(nodes={"model.p.customers": {}}),
    "run results schema": _wrong(
        metadata={"dbt_schema_version": SCHEMA.format("run-results")}, nodes={}, sources={}
    ),
    "not a schema url": _wrong(
        metadata={"dbt_schema_version": "manifest v12"}, nodes={}, sources={}
    ),
    "nodes is a list": _wrong(
        metadata={"dbt_schema_version": SCHEMA.format("manifest")}, nodes=[], sources={}
    ),
    "no sources": _wrong(metadata={"dbt_schema_version": SCHEMA.format("manifest")}, nodes={}),
    "node without unique_id": _wrong(
        metadata={"dbt_schema_version": SCHEMA.format("manifest")},
        nodes={"model.p.a": {"resource_type": "model"}},
        sources={},
    ),
    "a json list": b"[1, 2]",
    "not json": b"\xff\xfe{",
    # Round 2: a proxy's 100,000 nested brackets raised RecursionError.
    "100k deep": b"[" * 100_000 + b"]" * 100_000,
}


def _mock_compile(httpx_mock: HTTPXMock, content: bytes, run_id: int = 640) -> None:
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/jobs/{COMPILE_JOB}/run/",
        json=run_payload(run_id, 1, job_id=COMPILE_JOB),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/?include_related=run_steps",
        json=run_payload(run_id, 10, job_id=COMPILE_JOB, steps=COMPILE_STEPS),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/artifacts/manifest.json?step=2", content=content
    )


def _mock_latest_compile(httpx_mock: HTTPXMock, content: bytes, run_id: int = 641) -> None:
    httpx_mock.add_response(
        url=LATEST_COMPILE, json=runs_page(run_payload(run_id, 10, job_id=COMPILE_JOB))
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/?include_related=run_steps",
        json=run_payload(run_id, 10, job_id=COMPILE_JOB, steps=COMPILE_STEPS),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/artifacts/manifest.json?step=2", content=content
    )


@pytest.mark.parametrize("content", WRONG_MANIFESTS.values(), ids=WRONG_MANIFESTS.keys())
def test_a_compile_manifest_of_the_wrong_shape_is_neither_written_nor_cached(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, content: bytes
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    project = tmp_path / "proj"
    _mock_compile(httpx_mock, content)
    with pytest.raises(DBTRemoteError, match="not a dbt manifest artifact") as raised:
        plugin.compile_project(project, project, "prod")
    assert "nothing was cached or written to target/" in str(raised.value)
    assert raised.value.run_id == 640
    assert not (project / "target" / "manifest.json").exists()
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []
    # Nothing was cached, so the next get_manifest() asks dbt Cloud again.
    _mock_latest_compile(httpx_mock, GOOD)
    assert set(plugin.get_manifest(project)["nodes"]) == {"model.p.customers"}
    assert any(r.url.path.endswith("/runs/") for r in httpx_mock.get_requests())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("run_results.json", run_results().replace(b"run-results", b"manifest")),
        ("run_results.json", _wrong(metadata={"dbt_schema_version": SCHEMA.format("run-results")})),
        (
            "run_results.json",
            _wrong(metadata={"dbt_schema_version": SCHEMA.format("run-results")}, results=[{}]),
        ),
        ("catalog.json", catalog().replace(b"catalog/", b"manifest/")),
        ("catalog.json", _wrong(metadata={"dbt_schema_version": SCHEMA.format("catalog")})),
    ],
)
def test_every_artifact_is_checked_against_its_own_dbt_schema(name: str, content: bytes) -> None:
    with pytest.raises(ArtifactShapeError):
        parse_artifact(name, content)


def test_real_shaped_artifacts_pass() -> None:
    assert parse_artifact("manifest.json", GOOD)["nodes"]
    assert parse_artifact("run_results.json", run_results(("model.p.a", "success")))["results"]
    assert parse_artifact("catalog.json", catalog("model.p.a"))["nodes"]


def _cached_entry(plugin: DBTCloudPlugin, run_id: int = 640) -> Path:
    plugin.cache.store(
        run_id, account_id=ACCOUNT, job_id=COMPILE_JOB, artifacts={"manifest.json": GOOD}
    )
    return plugin.cache.root / str(run_id)


@pytest.mark.parametrize(
    "written",
    [b'{"hello": "world"}', b'{"nodes": {}}', run_results(("model.p.a", "success"))],
    ids=["any object", "nodes only", "a run_results file"],
)
def test_any_json_written_into_a_cache_entry_is_a_miss_not_a_manifest(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, written: bytes
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    entry = _cached_entry(plugin)
    (entry / "manifest.json").write_bytes(written)
    _mock_latest_compile(httpx_mock, GOOD)
    assert set(plugin.get_manifest(tmp_path / "proj")["nodes"]) == {"model.p.customers"}
    assert len(httpx_mock.get_requests()) == 3  # it went to dbt Cloud


def test_two_hosts_with_the_same_account_and_jobs_never_share_entries(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    emea = unit_plugin(tmp_path, fake_time)  # cloud.getdbt.com, account 4242, jobs 11/12/13
    entry = _cached_entry(emea)
    assert emea.get_manifest(tmp_path / "proj")["nodes"]  # a hit for its own host
    assert httpx_mock.get_requests() == []
    other = DBTCloudPlugin(
        ACCOUNT,
        SecretStr(TOKEN),
        "https://ab123.us1.dbt.com/api/v2",
        {"compile": 11, "run": 12, "test": 13},
        cache_dir=tmp_path / "cache",
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    other_api = f"https://ab123.us1.dbt.com/api/v2/accounts/{ACCOUNT}"
    httpx_mock.add_response(
        url=f"{other_api}/runs/?job_definition_id=11&order_by=-id&status=10&limit=1",
        json=runs_page(run_payload(77, 10, job_id=COMPILE_JOB)),
    )
    httpx_mock.add_response(
        url=f"{other_api}/runs/77/?include_related=run_steps",
        json=run_payload(77, 10, job_id=COMPILE_JOB, steps=COMPILE_STEPS),
    )
    theirs = manifest("model.q.orders")
    httpx_mock.add_response(
        url=f"{other_api}/runs/77/artifacts/manifest.json?step=2", content=theirs
    )
    assert set(other.get_manifest(tmp_path / "other")["nodes"]) == {"model.q.orders"}
    assert len(httpx_mock.get_requests()) == 3
    assert json.loads((tmp_path / "cache" / "77" / "metadata.json").read_text())["host"] == (
        "ab123.us1.dbt.com"
    )
    # Each host keeps getting its own manifest from the shared directory.
    assert set(emea.get_manifest(tmp_path / "proj")["nodes"]) == {"model.p.customers"}
    assert set(other.get_manifest(tmp_path / "other")["nodes"]) == {"model.q.orders"}
    assert len(httpx_mock.get_requests()) == 3
    assert entry.is_dir()


# -- Discovery ------------------------------------------------------------------

DISCOVERY = "https://metadata.cloud.getdbt.com/graphql"


def _applied(models: object) -> dict[str, Any]:
    return {"data": {"environment": {"dbtProjectName": "p", "applied": {"models": models}}}}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"data": {"unexpected": [1, 2, 3]}}, "does not have the expected shape"),
        ({"data": {"environment": {}}}, "environment.applied: Field required"),
        (_applied("garbage"), "environment.applied.models"),
        (
            _applied({"edges": [{"node": {"name": "x"}}], "pageInfo": {"hasNextPage": False}}),
            "uniqueId",
        ),
        (_applied({"edges": {}, "pageInfo": {"hasNextPage": False}}), "edges"),
        ({"data": {"environment": None}}, "knows no environment 3"),
    ],
    ids=[
        "other data",
        "no applied",
        "models a string",
        "node without id",
        "edges an object",
        "null",
    ],
)
def test_a_discovery_answer_of_the_wrong_shape_is_an_error_not_an_empty_success(
    httpx_mock: HTTPXMock, answer: dict[str, Any], problem: str
) -> None:
    httpx_mock.add_response(url=DISCOVERY, json=answer)
    with pytest.raises(DBTRemoteError, match="Discovery API") as raised:
        DiscoveryClient(DISCOVERY, SecretStr(TOKEN)).environment_metadata(3)
    assert problem in str(raised.value)
    assert "garbage" not in str(raised.value)  # the answer's values are never echoed


def test_a_discovery_cursor_that_repeats_stops_with_an_error(httpx_mock: HTTPXMock) -> None:
    page = _applied({"edges": [], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}})
    httpx_mock.add_response(url=DISCOVERY, json=page, is_reusable=True)
    with pytest.raises(DBTRemoteError, match="page cursor it had already given"):
        DiscoveryClient(DISCOVERY, SecretStr(TOKEN)).environment_metadata(3)
    assert len(httpx_mock.get_requests()) == 2
