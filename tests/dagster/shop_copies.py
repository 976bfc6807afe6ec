"""Private copies of ``shop_project``, the Dagster integration tests' dbt project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import yaml
from floe_dbt_compliance.projects import ProjectCopy

SHOP = Path(__file__).parent / "shop_project"
MODELS = {
    "stg_orders",
    "stg_customers",
    "customers",
    "finance",
    "revenue_by_customer",
    "order_history",
}
# Built by the step when the runtime has the lifecycle capability (else: external assets).
LIFECYCLE_NODES = {"raw_customers", "raw_orders", "orders_snapshot"}
_IGNORED = shutil.ignore_patterns("target", "logs", "*.duckdb*", ".user.yml")


def copy_shop(destination: Path) -> ProjectCopy:
    """Copy the project, its DuckDB file inside the copy (absolute, so threads agree)."""
    project_dir = (destination / "shop").resolve()
    shutil.copytree(SHOP, project_dir, ignore=_IGNORED)
    copy = ProjectCopy("shop", project_dir, project_dir)
    profiles_path = project_dir / "profiles.yml"
    profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
    profiles["shop"]["outputs"]["dev"]["path"] = str(copy.database_path)
    profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
    return copy


def seed_and_snapshot(copy: ProjectCopy) -> None:
    """Load the seeds and take the snapshot with plain dbt-core (runtimes without lifecycle)."""
    from dbt.cli.main import dbtRunner

    for command in ("seed", "snapshot"):
        result = dbtRunner().invoke(
            [
                command,
                "--project-dir",
                str(copy.project_dir),
                "--profiles-dir",
                str(copy.profiles_dir),
                "--quiet",
            ]
        )
        assert result.success, result.exception


def add_file(copy: ProjectCopy, relative: str, text: str) -> None:
    """Write a file into the copy (a broken model, a failing test ...)."""
    path = copy.project_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tables(copy: ProjectCopy) -> dict[str, int]:
    """Every table and view of the copy's DuckDB file, with its row count ({} when none)."""
    if not copy.database_path.exists():
        return {}
    with duckdb.connect(str(copy.database_path), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
        return {
            name: connection.execute(f'select count(*) from "{name}"').fetchone()[0]
            for (name,) in rows
        }


def run_results_ids(path: str | Path) -> set[str]:
    """The unique ids of a run_results.json."""
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return {entry["unique_id"] for entry in document["results"]}
