"""The troubleshooting page's cloud-runtime sections quote each message exactly as the code says it.

As in ``test_docs_troubleshooting.py``, each message is provoked through the
public API and compared with the page's tagged block; where it holds a value
that differs from run to run (a temporary directory, a random id), the test
fixes or substitutes exactly that value.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import httpx
import pytest
from markdown_blocks import ROOT, parse_blocks
from pydantic import SecretStr

from floe_core.errors import DBTRemoteError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.discovery import DiscoveryClient

PAGE = ROOT / "docs" / "guides" / "troubleshooting.md"
JOB_IDS = {"compile": 67890, "run": 67891, "test": 67892}
PROJECT = "/home/ana/analytics"


def quoted(name: str) -> str:
    blocks = [block for block in parse_blocks(PAGE) if block.marker_value("message") == name]
    assert len(blocks) == 1, f"{PAGE} must quote the {name!r} message exactly once"
    return blocks[0].code.strip()


def _envelope(data: object, code: int = 200, message: str = "Success!") -> dict[str, object]:
    status = {"code": code, "is_success": code < 400, "user_message": message}
    return {"status": status, "data": data}


def _compile_job(request: httpx.Request) -> httpx.Response:
    """A compile job whose latest successful run 640 saved a manifest without dbt's schema."""
    run = {"id": 640, "account_id": 12345, "job_definition_id": 67890, "status": 10}
    steps = [
        {"index": 1, "name": "Clone Git Repository", "status": 10},
        {"index": 2, "name": "Create Profile from Connection", "status": 10},
        {"index": 3, "name": "Invoke dbt with `dbt compile`", "status": 10},
    ]
    path = request.url.path
    if path.endswith("/runs/"):
        page = _envelope([run])
        page["extra"] = {"pagination": {"count": 1, "total_count": 1}}
        return httpx.Response(200, json=page)
    if path.endswith("/runs/640/"):
        return httpx.Response(200, json=_envelope({**run, "run_steps": steps}))
    return httpx.Response(200, content=b'{"nodes": {}}')


def test_cache_and_artifact_messages(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / ".floe").write_text("a file where the cache's parent directory should be")
    runtime = DBTCloudPlugin(
        "12345",
        SecretStr("dbtc_revoked"),
        job_ids=JOB_IDS,
        cache_dir=tmp_path / ".floe" / "dbt-cloud-cache",
        transport=httpx.MockTransport(_compile_job),
    )
    with caplog.at_level(logging.WARNING, logger="floe_dbt_cloud"):
        with pytest.raises(DBTRemoteError) as caught:
            runtime.get_manifest(tmp_path)
        runtime.cache.store(640, account_id="12345", job_id=67890, artifacts={})
    assert str(caught.value) == quoted("cloud-artifact-shape")
    unreadable, unwritable = (
        r.getMessage().replace(str(tmp_path), PROJECT) for r in caplog.records
    )
    assert unreadable == quoted("cloud-cache-unreadable")
    assert unwritable == quoted("cloud-cache-unwritable")


def test_discovery_environment_message() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"data": {"environment": None}})
    )
    client = DiscoveryClient(
        "https://metadata.cloud.getdbt.com/graphql", SecretStr("t"), transport=transport
    )
    with pytest.raises(DBTRemoteError) as caught:
        client.environment_metadata(3)
    assert str(caught.value) == quoted("cloud-discovery-environment")


def test_lost_trigger_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The cause's random part, fixed to the page's.
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID("4f1c2a9e0b7d4c3a8e6f5d2b1a0c9e8f"))

    def dbt_cloud(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(503, json=_envelope(None, 503, "Service unavailable."))

    runtime = DBTCloudPlugin(
        "12345",
        SecretStr("dbtc_revoked"),
        job_ids=JOB_IDS,
        cache_dir=tmp_path / "cache",
        transport=httpx.MockTransport(dbt_cloud),
        sleep=lambda seconds: None,
    )
    with pytest.raises(DBTRemoteError) as caught:
        runtime.run_models(tmp_path, tmp_path, "prod")
    assert str(caught.value) == quoted("cloud-trigger-lost")
