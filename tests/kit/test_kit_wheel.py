"""The kit's fixture projects and suites ship inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import FIXTURE_PROJECTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_wheel_holds_the_fixture_projects_and_the_suites(tmp_path: Path):
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("floe_dbt-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for project in FIXTURE_PROJECTS:
        for name in ("dbt_project.yml", "profiles.yml", "README.md"):
            assert f"floe_dbt_compliance/fixtures/{project}/{name}" in names
    assert "floe_dbt_compliance/fixtures/healthy/models/marts/fct_orders.sql" in names
    for suite in ("suite_contract.py", "suite_concurrency.py", "suite_cache.py"):
        assert f"floe_dbt_compliance/suites/{suite}" in names
    assert not [name for name in names if name.endswith((".duckdb", "run_results.json"))]
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "floe_dbt_compliance = floe_dbt_compliance.plugin" in text
