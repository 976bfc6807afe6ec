"""Reading a runtime's effects from the DuckDB file, and what the fixtures must produce.

The expected numbers come from the fixture projects (their READMEs and SQL),
never from the runtime's own artifacts: a runtime that lies in its result and
its run_results.json alike must still fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["EXPECTED", "Warehouse", "model_ids", "read_warehouse"]

#: Per fixture project and call: (models_run, tests_run, failures, success).
EXPECTED: dict[str, tuple[int, int, int, bool]] = {
    "healthy.run": (5, 0, 0, True),
    "healthy.run.select=fct_orders": (1, 0, 0, True),
    "healthy.run.exclude=fct_orders": (4, 0, 0, True),
    "healthy.run.full_refresh": (5, 0, 0, True),
    "healthy.test": (0, 7, 0, True),
    "failing_test.run": (2, 0, 0, True),
    "failing_test.test": (0, 3, 1, False),
    "sql_error.run": (2, 0, 1, False),
}
#: Rows the healthy project's tables hold after any successful run.
HEALTHY_ROWS = {"customers": 3, "fct_orders": 4}
HEALTHY_TESTS = 7
FAILING_TEST_ID = "test.failing_test.assert_no_negative_amounts"


def model_ids(project_dir: Path, project: str) -> set[str]:
    """The unique ids of the models a fixture project defines (one per ``.sql`` file)."""
    return {f"model.{project}.{path.stem}" for path in (project_dir / "models").rglob("*.sql")}


class Warehouse:
    """A snapshot of the tables a fixture project's runs leave in DuckDB."""

    def __init__(self, tables: dict[str, int], load_modes: set[str]) -> None:
        self.tables = tables
        self.load_modes = load_modes

    def __repr__(self) -> str:
        return f"Warehouse(tables={self.tables}, load_modes={sorted(self.load_modes)})"


def _connect(database_path: Path) -> Any:
    import duckdb  # lazy: dbt-duckdb's dependency, not the kit's

    try:
        return duckdb.connect(str(database_path), read_only=True)
    except duckdb.ConnectionException as exc:
        # dbt-duckdb keeps its read-write connection open in this process;
        # DuckDB then only allows connections with the same configuration.
        if "different configuration" not in str(exc):
            raise
        return duckdb.connect(str(database_path))


def read_warehouse(database_path: Path | None) -> Warehouse | None:
    """Read the row count of every table and the ``load_mode`` values of ``fct_orders``.

    Args:
        database_path: The DuckDB file, or ``None`` when the harness gives none.

    Returns:
        The snapshot, or ``None`` when there is no file to read.
    """
    if database_path is None or not database_path.is_file():
        return None
    connection = _connect(database_path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        ]
        tables = {
            name: int(connection.execute(f'select count(*) from "{name}"').fetchone()[0])  # noqa: S608
            for name in names
        }
        load_modes: set[str] = set()
        if "fct_orders" in tables:
            load_modes = {
                str(row[0])
                for row in connection.execute(
                    "select distinct load_mode from fct_orders"
                ).fetchall()
            }
        return Warehouse(tables, load_modes)
    finally:
        connection.close()
