"""Everything a DuckDB warehouse holds, in a form two warehouses can be compared in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import duckdb

__all__ = ["Relation", "warehouse_contents"]

_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")


class Relation(NamedTuple):
    """One table or view: its kind, its columns (name, type) and all its rows, sorted."""

    kind: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...]


def warehouse_contents(database: Path) -> dict[str, Relation]:
    """Read every relation of every user schema, every row (read-only).

    Returns:
        ``{"schema.name": Relation}``.
    """
    contents: dict[str, Relation] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema not in (?, ?) order by 1, 2",
            list(_SYSTEM_SCHEMAS),
        ).fetchall()
        for schema, name, kind in relations:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            rows = connection.execute(f'select * from "{schema}"."{name}"').fetchall()
            contents[f"{schema}.{name}"] = Relation(
                kind,
                tuple((column, data_type) for column, data_type in columns),
                tuple(sorted(rows, key=repr)),
            )
    return contents
