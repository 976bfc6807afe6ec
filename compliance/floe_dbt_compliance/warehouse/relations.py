"""A relation's state, the same on every warehouse: its kind, row count and rows' digest.

Two warehouses are the same when they hold the same relations (schema and
name), of the same kind, with the same rows: the digest covers the column
names and every row, in any order. Snapshot bookkeeping columns
(``dbt_valid_from``, ``dbt_scd_id`` ...) hold timestamps of the moment dbt
ran, so they are left out of the digest; how many snapshot rows are current
(``dbt_valid_to`` is null) is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = ["Relation", "failed_relation", "relation_state"]

#: A relation's state: ``{"kind": "table"|"view"|..., "rows": int, "digest": str, "current": int}``.
Relation = dict[str, Any]
_SNAPSHOT_VALID_TO = "dbt_valid_to"


def relation_state(kind: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Relation:
    """The state of a relation whose ``select *`` gave these columns and rows."""
    kept = [index for index, column in enumerate(columns) if not column.startswith("dbt_")]
    digest = hashlib.sha256(repr([columns[index] for index in kept]).encode())
    for text in sorted(repr(tuple(row[index] for index in kept)) for row in rows):
        digest.update(text.encode() + b"\n")
    state: Relation = {"kind": kind, "rows": len(rows), "digest": digest.hexdigest()[:16]}
    if _SNAPSHOT_VALID_TO in columns:
        position = list(columns).index(_SNAPSHOT_VALID_TO)
        state["current"] = sum(1 for row in rows if row[position] is None)
    return state


def failed_relation(kind: str, error: BaseException) -> Relation:
    """A relation that cannot be read (a view over a dropped table): its state, not a crash."""
    return {"kind": kind, "rows": None, "digest": None, "error": type(error).__name__}
