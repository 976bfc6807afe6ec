"""Which warehouse relation a dbt node builds or reads, compared as the warehouse compares names.

A seed that loads ``raw.customers`` and a source that reads it are one table,
so they must be one Dagster asset. Whether two names are one relation is the
warehouse's rule, applied to the relation as dbt renders it
(``relation_name``, quoted or not by the project's quoting policy):

=====================================  =========================================
adapter                                a name compares as
=====================================  =========================================
duckdb, databricks, spark, sqlserver   case-insensitive, quoted or not
postgres, redshift                     unquoted: lower-cased; quoted: exactly
snowflake                              unquoted: upper-cased; quoted: exactly
any other                              exactly as written (never merged by case)
=====================================  =========================================

A node without ``relation_name`` (an old manifest) is compared by its
``database``, ``schema`` and alias (or, for a source, ``identifier``), exactly.
"""

from __future__ import annotations

from floe_dagster.manifest_model import DbtNode

__all__ = ["relation_identity", "relation_parts"]

_CASE_INSENSITIVE = frozenset({"duckdb", "databricks", "spark", "sqlserver", "fabric", "synapse"})
_FOLD_UNQUOTED = {"postgres": str.lower, "redshift": str.lower, "snowflake": str.upper}
_CLOSING = {'"': '"', "`": "`", "[": "]"}


def relation_parts(node: DbtNode) -> tuple[str, ...]:
    """The relation's parts as the manifest names them: database, schema, table.

    Empty database and schema are left out.

    The table is the alias (a source's ``identifier``), else the node's name.
    """
    table = node.identifier if node.resource_type == "source" else node.alias
    return (*(part for part in (node.database, node.schema_) if part), table or node.name)


def relation_identity(node: DbtNode, adapter_type: str | None) -> tuple[str, ...]:
    """The relation a node builds or reads, normalised as ``adapter_type`` compares names.

    Args:
        node: A model, seed, snapshot or source.
        adapter_type: The manifest's adapter (``duckdb``, ``postgres`` ...).

    Returns:
        A tuple that is equal for two nodes exactly when they name one relation.
    """
    parsed = _split(node.relation_name) if node.relation_name else None
    parts = parsed if parsed else [(part, True) for part in relation_parts(node)]
    adapter = (adapter_type or "").lower()
    return tuple(_compared(text, quoted, adapter) for text, quoted in parts)


def _compared(text: str, quoted: bool, adapter: str) -> str:
    if adapter in _CASE_INSENSITIVE:
        return text.casefold()
    fold = _FOLD_UNQUOTED.get(adapter)
    return fold(text) if fold and not quoted else text


def _split(relation_name: str) -> list[tuple[str, bool]] | None:
    """Split ``"db"."schema"."table"`` into ``(text, quoted)`` parts (``None``: unparsable)."""
    parts: list[tuple[str, bool]] = []
    index, length = 0, len(relation_name)
    while index < length:
        opening = relation_name[index]
        closing = _CLOSING.get(opening)
        if closing:
            text, index = _quoted(relation_name, index + 1, closing)
            if index < 0:
                return None
            parts.append((text, True))
        else:
            end = relation_name.find(".", index)
            end = length if end < 0 else end
            parts.append((relation_name[index:end].strip(), False))
            index = end
        if index < length:
            if relation_name[index] != ".":
                return None
            index += 1
            if index == length:
                return None
    return parts or None


def _quoted(text: str, index: int, closing: str) -> tuple[str, int]:
    """Read a quoted part from ``index`` (past the opening quote); a doubled quote is one quote."""
    found: list[str] = []
    while index < len(text):
        char = text[index]
        if char == closing:
            if text[index + 1 : index + 2] == closing:
                found.append(closing)
                index += 2
                continue
            return "".join(found), index + 1
        found.append(char)
        index += 1
    return "", -1
