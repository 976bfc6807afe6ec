"""examples/dagster_project: prepared as its README says, it validates and materialises."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from dagster import AssetCheckSeverity, AssetKey, Definitions

from floe_core.cli import main as floe
from floe_core.errors import DBTArtifactNotFoundError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dagster_project"
# The deploy step, as the README shows it (run from the example's directory).
PREPARE = "floe compile --manifest manifest.yaml --project-dir dbt_project"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the example whose DuckDB file lives in the copy; cwd is the copy."""
    copy = tmp_path / "dagster_project"
    shutil.copytree(
        EXAMPLE, copy, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", ".user.yml")
    )
    monkeypatch.setenv("SHOP_DUCKDB_PATH", str(copy / "shop.duckdb"))
    monkeypatch.chdir(copy)
    return copy


def _prepare() -> None:
    outcome = CliRunner().invoke(floe, PREPARE.split()[1:])
    assert outcome.exit_code == 0, outcome.output


def _load_definitions(path: Path) -> Definitions:
    spec = importlib.util.spec_from_file_location("floe_example_definitions", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    defs = module.defs
    assert isinstance(defs, Definitions)
    return defs


def test_the_readme_shows_the_deploy_step() -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    assert PREPARE in readme
    assert PREPARE in (EXAMPLE / "definitions.py").read_text(encoding="utf-8")


def test_unprepared_it_says_what_to_run_and_prepared_it_materialises(example: Path) -> None:
    with pytest.raises(DBTArtifactNotFoundError, match="floe compile --manifest"):
        _load_definitions(example / "definitions.py")
    _prepare()
    defs = _load_definitions(example / "definitions.py")
    job = defs.resolve_implicit_global_asset_job_def()

    result = job.execute_in_process()

    assert result.success
    materialised = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialised == {
        AssetKey(["shop", "main", "raw_orders"]),
        AssetKey(["shop", "main", "daily_revenue"]),
    }
    # raw_orders is a seed, loaded by the step (the local runtime has the lifecycle capability).
    (seed,) = result.asset_materializations_for_node("dbt_shop")[:1]
    assert seed.asset_key == AssetKey(["shop", "main", "raw_orders"])
    assert seed.metadata["dbt/unique_id"].value == "seed.shop.raw_orders"
    # One step for the project, and its checks: four pass, the warn test warns.
    assert {event.step_key for event in result.get_step_success_events()} == {"dbt_shop"}
    checks = {
        event.asset_check_key.name: (event.passed, event.severity)
        for event in result.get_asset_check_evaluations()
    }
    assert checks.pop("busy_days") == (False, AssetCheckSeverity.WARN)
    assert set(checks) == {
        "unique_raw_orders_order_id",
        "not_null_raw_orders_order_id",
        "unique_daily_revenue_ordered_on",
        "not_null_daily_revenue_ordered_on",
    }
    assert all(passed for passed, _ in checks.values())
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


def test_dagster_definitions_validate_accepts_the_prepared_example(
    example: Path, tmp_path: Path
) -> None:
    _prepare()
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
