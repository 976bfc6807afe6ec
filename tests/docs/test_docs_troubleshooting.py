"""The troubleshooting page quotes each error exactly as the code raises it.

Each test provokes the error through the public API with the values the page
states, takes ``str(error)``, and compares it with the page's tagged block.
Nothing here rebuilds a message: if the code's wording changes, the page must.
"""

from __future__ import annotations

import re
import textwrap
import threading
from pathlib import Path

import httpx
import pytest
from docs_processes import python
from markdown_blocks import ROOT, parse_blocks
from pydantic import SecretStr

from floe_core.errors import DBTAuthenticationError, DBTExecutionTimeout
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_local import LocalDBTPlugin

PAGE = ROOT / "docs" / "guides" / "troubleshooting.md"


def documented(name: str) -> str:
    blocks = [block for block in parse_blocks(PAGE) if block.marker_value("message") == name]
    assert len(blocks) == 1, f"{PAGE} must quote the {name!r} message exactly once"
    return blocks[0].code.strip()


def test_page_quotes_the_three_errors_spec_names() -> None:
    # The spec's three come first; other sections follow them.
    headings = re.findall(r"^## (.+)$", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert headings[:3] == [
        "dbtRunner not found",
        "dbt Cloud API 401 Unauthorized",
        "Concurrent execution error",
    ]
    quoted = {block.marker_value("message") for block in parse_blocks(PAGE)} - {None}
    assert {"plugin-load-error", "cloud-401", "lock-timeout"} <= quoted


# Run in a fresh interpreter where importing dbt fails as it does when dbt-core
# is not installed; the registry's message is then the code's own.
_WITHOUT_DBT = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class NoDbt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "dbt" or name.startswith("dbt."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoDbt())
    from floe_core.plugin_registry import PluginLoadError, PluginRegistry

    try:
        PluginRegistry().load_class("dbt", "local")
    except PluginLoadError as error:
        print(error)
    else:
        sys.exit("the local runtime loaded without dbt")
    """
)


@pytest.mark.timeout(120)
def test_dbtrunner_not_found_message() -> None:
    completed = python("-c", _WITHOUT_DBT, cwd=ROOT, timeout=110)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == documented("plugin-load-error")


def _dbt_cloud_401(request: httpx.Request) -> httpx.Response:
    # dbt Cloud's answer to a token it refuses (docs/runtimes/cloud.md): an envelope, data null.
    return httpx.Response(
        401,
        json={
            "status": {
                "code": 401,
                "is_success": False,
                "user_message": "Invalid token.",
                "developer_message": None,
            },
            "data": None,
        },
    )


def test_cloud_401_message(tmp_path: Path) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return _dbt_cloud_401(request)

    runtime = DBTCloudPlugin(
        "12345",
        SecretStr("dbtc_revoked"),
        job_ids={"compile": 67890, "run": 67891, "test": 67892},
        cache_dir=tmp_path / "cache",
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(DBTAuthenticationError) as caught:
        runtime.run_models(tmp_path, tmp_path, "prod")
    assert str(caught.value) == documented("cloud-401")
    assert caught.value.status_code == 401
    # The page says a 401 is not retried.
    assert len(calls) == 1
    assert calls[0].url == "https://cloud.getdbt.com/api/v2/accounts/12345/jobs/67891/run/"


@pytest.mark.timeout(60)
def test_concurrent_execution_message() -> None:
    project = Path("/srv/dbt/analytics")
    holding, release = threading.Event(), threading.Event()

    def run_elsewhere() -> None:
        with LocalDBTPlugin.invocation_lock.hold("run", project, timeout_seconds=30):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=run_elsewhere, name="dagster-worker-1")
    holder.start()
    try:
        assert holding.wait(30)
        with pytest.raises(DBTExecutionTimeout) as caught:
            LocalDBTPlugin(lock_timeout_seconds=0.5).run_tests(project, project, "prod")
    finally:
        release.set()
        holder.join()
    # How long the holder has held the lock is measured, not chosen: compare its shape.
    held_for = re.compile(r"has held it for \d+\.\d s")
    message = str(caught.value)
    assert held_for.search(message), message
    expected = documented("lock-timeout")
    assert held_for.sub("has held it for <t> s", message) == held_for.sub(
        "has held it for <t> s", expected
    )
