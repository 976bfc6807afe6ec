"""What the runtime accepts as a dbt artifact: dbt's own schema version and the fields read.

Nothing dbt Cloud sends, and nothing found in the cache, is written into
``<project_dir>/target/``, cached or returned before it passes
:func:`parse_artifact`: a JSON object whose ``metadata.dbt_schema_version``
names the artifact's own dbt schema (``https://schemas.getdbt.com/dbt/manifest/vN.json``
for ``manifest.json`` ...) and whose fields the runtime and its callers read
have the types dbt gives them. Any schema version ``vN`` is accepted, since
dbt Cloud may run a newer dbt than this package knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from floe_core.artifacts import CATALOG_JSON, MANIFEST_JSON, RUN_RESULTS_JSON
from floe_core.errors import UnreadableFile
from floe_core.files import MAX_JSON_DEPTH, parse_json

__all__ = [
    "CATALOG",
    "MANIFEST",
    "RUN_RESULTS",
    "SCHEMA_KINDS",
    "ArtifactShapeError",
    "check_artifact",
    "parse_artifact",
]

# The artifacts' file names, as dbt writes them (floe_core.artifacts names them once).
MANIFEST, RUN_RESULTS, CATALOG = MANIFEST_JSON, RUN_RESULTS_JSON, CATALOG_JSON
# The schema each artifact declares in metadata.dbt_schema_version.
SCHEMA_KINDS = {MANIFEST: "manifest", RUN_RESULTS: "run-results", CATALOG: "catalog"}
_SCHEMA_URL = re.compile(r"https://schemas\.getdbt\.com/dbt/([a-z-]+)/v[0-9]{1,4}\.json")


class ArtifactShapeError(ValueError):
    """An artifact is not the dbt file its name says; the message says why (never its content)."""


def parse_artifact(name: str, content: bytes, *, deep: bool = True) -> dict[str, Any]:
    """Parse an artifact and check its shape.

    Args:
        name: ``manifest.json``, ``run_results.json`` or ``catalog.json``.
        content: The file's bytes.
        deep: Check every node and result too; the cache, whose entries were
            checked deeply before they were written, checks the top level only
            (a cache hit costs little more than the parse).

    Returns:
        The parsed document.

    Raises:
        ArtifactShapeError: It is not UTF-8 JSON, is nested deeper than
            :data:`floe_core.files.MAX_JSON_DEPTH`, or is not the dbt artifact
            ``name`` says.
    """
    try:
        # Bounded like every artifact floe reads: 100,000 nested brackets from a
        # proxy are refused before the parser could recurse out of the stack. A
        # cache entry passed that check before it was written: reading it again
        # costs only the parse (a tampered one is still refused, not a crash).
        document = parse_json(content, source=name, max_depth=MAX_JSON_DEPTH if deep else None)
    except UnreadableFile as exc:
        if exc.fact.startswith("is JSON nested"):
            raise ArtifactShapeError(f"it {exc.fact}") from None
        invalid = exc.fact.startswith("is not valid JSON")
        kind = "JSONDecodeError" if invalid else "UnicodeDecodeError"
        raise ArtifactShapeError(f"it is not JSON ({kind})") from None
    check_artifact(name, document, deep=deep)
    return document  # type: ignore[no-any-return]  # check_artifact proved it is a dict


def check_artifact(name: str, document: object, *, deep: bool = True) -> None:
    """Check a parsed artifact's shape (with ``deep``, every node and result too).

    Raises:
        ArtifactShapeError: It is not a JSON object, declares no dbt schema of
            its kind, or a field the runtime reads has the wrong type.

    Examples:
        >>> check_artifact("run_results.json", {"results": []})
        Traceback (most recent call last):
        ...
        floe_dbt_cloud.artifacts.ArtifactShapeError: metadata.dbt_schema_version is missing \
or is not https://schemas.getdbt.com/dbt/run-results/vN.json
    """
    if not isinstance(document, dict):
        raise ArtifactShapeError(f"expected a JSON object, got {_json_type(document)}")
    kind = SCHEMA_KINDS.get(name)
    if kind is None:
        return
    metadata = document.get("metadata")
    version = metadata.get("dbt_schema_version") if isinstance(metadata, Mapping) else None
    match = _SCHEMA_URL.fullmatch(version) if isinstance(version, str) else None
    if match is None or match.group(1) != kind:
        raise ArtifactShapeError(
            "metadata.dbt_schema_version is missing or is not "
            f"https://schemas.getdbt.com/dbt/{kind}/vN.json"
        )
    if kind == "run-results":
        _check_results(document.get("results"), deep=deep)
    else:
        for field in ("nodes", "sources"):
            _check_nodes(document, field, keyed_by_unique_id=kind == "manifest", deep=deep)


def _check_results(results: object, *, deep: bool) -> None:
    if not isinstance(results, list):
        raise ArtifactShapeError(f"'results' is {_json_type(results)}, not a list")
    for index, result in enumerate(results if deep else ()):
        if not (
            isinstance(result, dict)
            and isinstance(result.get("unique_id"), str)
            and isinstance(result.get("status"), str)
        ):
            raise ArtifactShapeError(
                f"results[{index}] is not an object with string 'unique_id' and 'status'"
            )


def _check_nodes(
    document: Mapping[str, Any], field: str, *, keyed_by_unique_id: bool, deep: bool
) -> None:
    nodes = document.get(field)
    if not isinstance(nodes, dict):
        raise ArtifactShapeError(f"'{field}' is {_json_type(nodes)}, not an object")
    for key, node in nodes.items() if deep else ():
        if not isinstance(node, dict):
            raise ArtifactShapeError(f"'{field}' holds {_json_type(node)} where a node belongs")
        if keyed_by_unique_id and (
            node.get("unique_id") != key or not isinstance(node.get("resource_type"), str)
        ):
            raise ArtifactShapeError(
                f"a node of '{field}' lacks its 'unique_id' (equal to its key) or 'resource_type'"
            )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "missing or null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
