"""The troubleshooting page quotes each error exactly as the code raises it.

Each test provokes the error through the public API with the values the page
states, takes ``str(error)``, and compares it with the page's tagged block.
Nothing here rebuilds a message: if the code's wording changes, the page must.
"""

from __future__ import annotations

import logging
import os
import re
import textwrap
import threading
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from docs_processes import python
from markdown_blocks import ROOT, parse_blocks
from pydantic import SecretStr

from floe_core import (
    DBTConfigurationError,
    FileSecretsPlugin,
    ManifestError,
    PlatformManifest,
    PluginRegistry,
)
from floe_core.cli import main
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


def test_every_quoted_message_is_provoked_by_a_test() -> None:
    """Each tagged block is named by a test here, which compares it through ``documented``."""
    quoted = {block.marker_value("message") for block in parse_blocks(PAGE)} - {None}
    tests = Path(__file__).parent.glob("test_*.py")
    sources = "".join(path.read_text(encoding="utf-8") for path in tests)
    named = {name for name in quoted if f'"{name}"' in sources}
    assert quoted == named, f"quoted but never provoked: {sorted(quoted - named)}"


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


# -- "The manifest or a secret is refused": each message provoked as the page says.

_CLOUD = textwrap.dedent(
    """\
    plugins:
      dbt_runtime: cloud
      dbt_runtime_config:
        cloud:
          account_id: "12345"
          api_token_ref: dbt-cloud-api-token
          job_ids: {compile: 67890, run: 67891, test: 67892}
    """
)


def _refused(text: str | bytes) -> str:
    """``str()`` of what reading ``manifest.yaml`` (in the working directory) raises."""
    path = Path("manifest.yaml")
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DBTConfigurationError) as caught:
        PlatformManifest.from_yaml("manifest.yaml")
    return str(caught.value)


def _alias_bomb() -> str:
    text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in range(1, 9):
        text += f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]\n"
    return text + "plugins:\n  dbt_runtime: *a8\n"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("runtime-not-installed", "plugins:\n  dbt_runtime: cluod\n"),
        ("duplicate-key", "plugins:\n  dbt_runtime: local\n  dbt_runtime: cloud\n"),
        ("number-bound", _CLOUD + "      timeout_seconds: 1e12\n"),
        (
            "secrets-config-key",
            _CLOUD
            + "  secrets:\n    type: file\n    config:\n      directroy: /var/run/secrets/floe\n",
        ),
        (
            "token-in-reference",
            _CLOUD.replace("dbt-cloud-api-token", "3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b"),
        ),
        (
            "url-credentials",
            _CLOUD + "      base_url: https://me:dbtc_a1b2c3d4@emea.dbt.com/api/v2\n",
        ),
        ("credential-key", _CLOUD + "      dbtc_Zq8v1XwLr5PkNd2Hs7TfYb3Jm9Gc4Ae6: 1\n"),
        ("manifest-utf16", "plugins:\n  dbt_runtime: local\n".encode("utf-16")),
        ("alias-bomb", _alias_bomb()),
    ],
)
def test_manifest_refusal_messages(
    name: str, text: str | bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _refused(text) == documented(name)


def test_a_fifo_manifest_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo("manifest.yaml")
    with pytest.raises(ManifestError) as caught:
        PlatformManifest.from_yaml("manifest.yaml")
    assert str(caught.value) == documented("manifest-not-a-file")


def test_secret_file_messages(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The page's path is the default mount point; the test mounts the same names here.
    mount = tmp_path / "var" / "run" / "secrets" / "floe"
    mount.mkdir(parents=True)
    secret = mount / "dbt-cloud-api-token"
    secret.write_bytes("dbtc_x\n".encode("utf-16"))
    with pytest.raises(DBTConfigurationError) as caught:
        FileSecretsPlugin(mount).get_secret("dbt-cloud-api-token")
    assert str(caught.value).replace(str(tmp_path), "") == documented("secret-file-utf16")
    secret.write_text("dbtc_x\n", encoding="utf-8")
    secret.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="floe_core.secrets"):
        FileSecretsPlugin(mount).get_secret("dbt-cloud-api-token")
    (record,) = caplog.records
    assert record.getMessage().replace(str(tmp_path), "") == documented("secret-file-shared")


def test_runtime_needs_section_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOE_MANIFEST", raising=False)
    with pytest.raises(DBTConfigurationError) as caught:
        PluginRegistry().get_plugin("dbt", "cloud")
    assert str(caught.value) == documented("runtime-needs-section")


_SEVEN_METHODS_ONLY = """
from floe_core import DBTPlugin


class AcmeDBTPlugin(DBTPlugin):
    def compile_project(self, project_dir, profiles_dir, target):
        raise AssertionError("not called")

    run_models = run_tests = get_manifest = get_run_results = compile_project

    def supports_parallel_execution(self):
        return True

    def get_runtime_metadata(self):
        return {"type": "acme"}
"""


def test_lifecycle_missing_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_seven.py").write_text(_SEVEN_METHODS_ONLY, encoding="utf-8")
    dist_info = tmp_path / "acme_seven-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-seven\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[floe.dbt]\nacme = acme_seven:AcmeDBTPlugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: acme\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["seed", "--manifest", str(manifest)])
    assert result.exit_code == 2
    assert result.stderr.strip() == documented("lifecycle-missing")
