"""examples/dagster_project: it validates as a code location and materialises every asset."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, Definitions

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dagster_project"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the example whose DuckDB file lives in the copy."""
    copy = tmp_path / "dagster_project"
    shutil.copytree(
        EXAMPLE, copy, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", ".user.yml")
    )
    monkeypatch.setenv("SHOP_DUCKDB_PATH", str(copy / "shop.duckdb"))
    return copy


def _load_definitions(path: Path) -> Definitions:
    spec = importlib.util.spec_from_file_location("floe_example_definitions", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defs = module.defs
    assert isinstance(defs, Definitions)
    return defs


def test_the_example_materialises_every_model(example: Path) -> None:
    defs = _load_definitions(example / "definitions.py")
    job = defs.resolve_implicit_global_asset_job_def()

    result = job.execute_in_process()

    assert result.success
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialised == {
        AssetKey(["shop", "main", "raw_orders"]),
        AssetKey(["shop", "main", "daily_revenue"]),
    }
    graph = defs.resolve_asset_graph()
    daily = graph.get(AssetKey(["shop", "main", "daily_revenue"]))
    assert daily.parent_keys == {AssetKey(["shop", "main", "raw_orders"])}
    assert daily.owners == ["finance@example.com"]
    assert job.executor_def.name == "in_process"
    with duckdb.connect(str(example / "shop.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select ordered_on::varchar, orders, revenue from daily_revenue order by 1"
        ).fetchall()
    assert rows == [("2026-01-01", 2, 15.5), ("2026-01-02", 1, 7.25)]


def test_dagster_definitions_validate_accepts_the_example(example: Path, tmp_path: Path) -> None:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    dagster = Path(sys.executable).with_name("dagster")

    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-f", str(example / "definitions.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=example,
        timeout=240,
        check=False,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "Validation successful" in output
