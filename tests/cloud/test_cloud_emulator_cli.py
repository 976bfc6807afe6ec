"""``python -m floe_dbt_cloud_emulator``: what it prints is a manifest.yaml that validates."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from floe_dbt_compliance.projects import copy_project

from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dbt_cloud_emulator.__main__ import main

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _printed_manifest(output: str) -> dict[str, object]:
    block = output.split("manifest.yaml:\n", 1)[1].split("\nPress Ctrl-C", 1)[0]
    return yaml.safe_load(block)


@pytest.mark.parametrize("own_project", [False, True])
def test_it_serves_prints_a_valid_manifest_and_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], own_project: bool
) -> None:
    stop = threading.Event()
    stop.set()  # serve, print, and stop at once: the test needs what it printed
    argv = ["--token", "cli-token", "--account-id", "77"]
    if own_project:
        copy = copy_project("failing_test", tmp_path)
        argv += ["--project", str(copy.project_dir)]
    assert main(argv, stop=stop) == 0
    output = capsys.readouterr().out
    assert "token:          cli-token" in output
    assert ("'failing_test'" if own_project else "'healthy'") in output
    manifest = PlatformManifest.model_validate(_printed_manifest(output))
    cloud = PluginRegistry().runtime_config(manifest)
    assert cloud is not None
    assert cloud.account_id == "77"
    assert cloud.base_url.startswith("http://127.0.0.1:")
    assert cloud.base_url.endswith("/api/v2")
    assert cloud.discovery_url is not None
    assert cloud.discovery_url.endswith("/graphql")
    assert cloud.job_ids.compile < cloud.job_ids.run < cloud.job_ids.test
    assert not any(t.name.startswith("dbt-cloud-emulator-") for t in threading.enumerate())


def test_a_missing_project_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", str(tmp_path / "nope")], stop=threading.Event()) == 2
    assert "has no readable dbt_project.yml" in capsys.readouterr().err


def test_help_runs_as_a_module() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "floe_dbt_cloud_emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--project" in completed.stdout
    assert "--port" in completed.stdout
    assert "--no-package-index" in completed.stdout


def test_the_package_index_can_be_switched_off() -> None:
    from floe_dbt_cloud_emulator.__main__ import _parser

    assert _parser().parse_args([]).package_index is True
    assert _parser().parse_args(["--no-package-index"]).package_index is False
