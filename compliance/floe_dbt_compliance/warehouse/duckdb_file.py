"""Reading a DuckDB file: every relation of every schema, read-only where DuckDB allows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_dbt_compliance.warehouse.relations import Relation, failed_relation, relation_state

__all__ = ["read_duckdb"]

_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


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
    except Exception as exc:
        return failed_relation(kind, exc)
    return relation_state(kind, columns, rows)


def read_duckdb(database_path: Path) -> dict[str, Relation] | None:
    """Every relation of a DuckDB file, ``{"<schema>.<name>": state}``; ``None`` without a file."""
    if not Path(database_path).is_file():
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
