"""What a run leaves in the warehouse: every relation of the DuckDB file, its rows, a digest.

The kit reads the warehouse itself, never through the runtime, after every
call on the runtime under test and on the reference. Two warehouses are the
same when they hold the same relations (schema and name), of the same kind,
with the same rows: the digest covers the column names and every row, in any
order. Snapshot bookkeeping columns (``dbt_valid_from``, ``dbt_scd_id`` ...)
hold timestamps of the moment dbt ran, so they are left out of the digest;
how many snapshot rows are current (``dbt_valid_to`` is null) is kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

__all__ = ["Relation", "read_warehouse"]

#: A relation's state: ``{"kind": "table"|"view", "rows": int, "digest": str, "current": int}``.
Relation = dict[str, Any]
_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")
_SNAPSHOT_VALID_TO = "dbt_valid_to"


def _connect(database_path: Path) -> Any:
    import duckdb  # lazy: dbt-duckdb's dependency, not the kit's

    try:
        return duckdb.connect(str(database_path), read_only=True)
    except duckdb.ConnectionException as exc:
        # dbt-duckdb may keep its read-write connection open in this process;
        # DuckDB then only allows connections with the same configuration.
        if "different configuration" not in str(exc):
            raise
        return duckdb.connect(str(database_path))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relation(connection: Any, schema: str, name: str, kind: str) -> Relation:
    relation = f"{_quoted(schema)}.{_quoted(name)}"
    try:
        cursor = connection.execute(f"select * from {relation}")  # noqa: S608 - names from the catalog
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    except Exception as exc:  # a view over a dropped table: the state, not a crash
        return {"kind": kind, "rows": None, "digest": None, "error": type(exc).__name__}
    kept = [index for index, column in enumerate(columns) if not column.startswith("dbt_")]
    digest = hashlib.sha256(repr([columns[index] for index in kept]).encode())
    for text in sorted(repr(tuple(row[index] for index in kept)) for row in rows):
        digest.update(text.encode() + b"\n")
    state: Relation = {"kind": kind, "rows": len(rows), "digest": digest.hexdigest()[:16]}
    if _SNAPSHOT_VALID_TO in columns:
        position = columns.index(_SNAPSHOT_VALID_TO)
        state["current"] = sum(1 for row in rows if row[position] is None)
    return state


def read_warehouse(database_path: Path | None) -> dict[str, Relation] | None:
    """Read every relation of a DuckDB file.

    Args:
        database_path: The DuckDB file, or ``None`` when the harness gives none.

    Returns:
        ``{"<schema>.<name>": relation state}``, or ``None`` when there is no
        file to read (nothing was ever written, or the harness gives none).
    """
    if database_path is None or not Path(database_path).is_file():
        return None
    connection = _connect(Path(database_path))
    try:
        listed = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{name}": _relation(
                connection, schema, name, "view" if "VIEW" in str(kind).upper() else "table"
            )
            for schema, name, kind in listed
            if schema not in _SYSTEM_SCHEMAS
        }
    finally:
        connection.close()
