"""The troubleshooting page quotes the message of a dbt Cloud run whose `dbt deps` step
failed, exactly as the cloud runtime raises it against the emulator on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from markdown_blocks import ROOT, parse_blocks
from pydantic import SecretStr

from floe_core.errors import DBTExecutionError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator

PAGE = ROOT / "docs" / "guides" / "troubleshooting.md"


def _quoted(name: str) -> str:
    blocks = [block for block in parse_blocks(PAGE) if block.marker_value("message") == name]
    assert len(blocks) == 1, f"{PAGE} must quote the {name!r} message exactly once"
    return blocks[0].code.strip()


def test_a_package_that_cannot_be_installed(tmp_path: Path) -> None:
    project = tmp_path / "analytics"
    project.mkdir()
    settings = {"name": "analytics", "version": "1.0.0", "config-version": 2, "profile": "a"}
    (project / "dbt_project.yml").write_text(yaml.safe_dump(settings))
    wanted = {"package": "dbt-labs/dbt_utils", "version": [">=1.0.0", "<2.0.0"]}
    (project / "packages.yml").write_text(yaml.safe_dump({"packages": [wanted]}))
    output = {"type": "duckdb", "path": str(project / "a.duckdb")}
    profiles = {"a": {"target": "dev", "outputs": {"dev": output}}}
    (project / "profiles.yml").write_text(yaml.safe_dump(profiles))

    with DbtCloudEmulator(package_index=False) as emulator, serve_emulator(emulator) as server:
        jobs = emulator.add_project(project, project).job_ids
        runtime = DBTCloudPlugin(
            str(emulator.account_id),
            SecretStr(emulator.token),
            server.base_url,
            jobs,
            poll_interval_seconds=0.05,
            cache_dir=tmp_path / "cache",
        )
        with runtime, pytest.raises(DBTExecutionError) as raised:
            runtime.run_models(project, project, "dev")

    assert str(raised.value) == _quoted("cloud-deps-failed")
