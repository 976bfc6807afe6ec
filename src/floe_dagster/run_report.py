"""What one dbt invocation did to each node, read from its ``run_results.json``.

The runtime returns one :class:`~floe_core.plugin_interfaces.DBTRunResult`
per invocation; the nodes' own outcomes (status, timing, rows, dbt's message)
are in the ``run_results.json`` it points at, written by dbt the same way
whichever runtime ran it. This module turns that file into Dagster metadata:
a materialisation's for a model, seed or snapshot, a check result's for a
test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckSeverity, MetadataValue

from floe_core.artifacts import read_json_artifact
from floe_core.plugin_interfaces import DBTRunResult
from floe_dagster.dbt_graph import DbtAssetNode
from floe_dagster.dbt_tests import DbtCheckNode

__all__ = ["NodeOutcome", "RunReport"]

_BUILT = frozenset({"success"})
_TEST_STATUSES = frozenset({"pass", "warn", "fail", "error"})


@dataclass(frozen=True)
class NodeOutcome:
    """One node's entry of ``run_results.json``."""

    unique_id: str
    status: str
    message: str | None
    execution_time: float | None
    failures: int | None
    rows_affected: int | None
    relation_name: str | None

    @property
    def built(self) -> bool:
        """Whether dbt built the model, seed or snapshot."""
        return self.status in _BUILT

    @property
    def test_ran(self) -> bool:
        """Whether dbt ran the test to a verdict (pass, warn, fail or error)."""
        return self.status in _TEST_STATUSES


class RunReport:
    """The outcomes of one invocation, by ``unique_id``.

    Args:
        result: What the runtime returned.
        runtime_type: The runtime's ``type``, recorded with every outcome.

    Raises:
        DBTArtifactNotFoundError: The invocation's ``run_results.json`` is
            missing or not JSON.
    """

    def __init__(self, result: DBTRunResult, runtime_type: str) -> None:
        self.result = result
        self.runtime_type = runtime_type
        document = read_json_artifact(
            result.run_results_path,
            what="the runtime returned a result without the run_results.json it points at",
        )
        entries = document.get("results")
        self.outcomes: dict[str, NodeOutcome] = {}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and entry.get("unique_id"):
                outcome = _outcome(entry)
                self.outcomes[outcome.unique_id] = outcome

    def materialisation_metadata(self, node: DbtAssetNode, outcome: NodeOutcome) -> dict[str, Any]:
        """The metadata of a built node's materialisation."""
        metadata: dict[str, Any] = {
            "dbt/unique_id": node.unique_id,
            "dbt/status": outcome.status,
            "dbt/runtime_type": self.runtime_type,
            "dbt/run_results_path": MetadataValue.path(str(self.result.run_results_path)),
            "dbt/runtime_metadata": MetadataValue.json(dict(self.result.metadata)),
        }
        if outcome.execution_time is not None:
            metadata["dbt/execution_time_seconds"] = outcome.execution_time
        if outcome.rows_affected is not None:
            metadata["dbt/rows_affected"] = outcome.rows_affected
        relation = outcome.relation_name or node.relation_name
        if relation:
            metadata["dbt/relation_name"] = relation
        if outcome.message:
            metadata["dbt/message"] = outcome.message
        compiled = self._compiled_code_path(node)
        if compiled is not None:
            metadata["dbt/compiled_code_path"] = MetadataValue.path(str(compiled))
        return metadata

    def check_metadata(self, check: DbtCheckNode, outcome: NodeOutcome) -> dict[str, Any]:
        """The metadata of a test's check result."""
        metadata: dict[str, Any] = {
            "dbt/unique_id": check.unique_id,
            "dbt/status": outcome.status,
            "dbt/severity": check.severity,
            "dbt/runtime_type": self.runtime_type,
            "dbt/run_results_path": MetadataValue.path(str(self.result.run_results_path)),
        }
        if outcome.failures is not None:
            metadata["dbt/failed_row_count"] = outcome.failures
        if outcome.execution_time is not None:
            metadata["dbt/execution_time_seconds"] = outcome.execution_time
        if outcome.message:
            metadata["dbt/message"] = outcome.message
        return metadata

    def _compiled_code_path(self, node: DbtAssetNode) -> Path | None:
        # dbt writes <target-path>/compiled/<package>/<file>; run_results.json is in <target-path>.
        if not node.package_name or not node.original_file_path or node.resource_type == "seed":
            return None
        path = (
            self.result.run_results_path.parent
            / "compiled"
            / node.package_name
            / node.original_file_path
        )
        return path if path.is_file() else None


def check_verdict(outcome: NodeOutcome) -> tuple[bool, AssetCheckSeverity]:
    """Whether a test passed, and the severity of its result (``warn`` is a warning)."""
    if outcome.status == "pass":
        return True, AssetCheckSeverity.ERROR
    if outcome.status == "warn":
        return False, AssetCheckSeverity.WARN
    return False, AssetCheckSeverity.ERROR


def _outcome(entry: Mapping[str, Any]) -> NodeOutcome:
    adapter_response = entry.get("adapter_response")
    rows = adapter_response.get("rows_affected") if isinstance(adapter_response, Mapping) else None
    message = entry.get("message")
    execution_time = _number(entry.get("execution_time"))
    failures = _number(entry.get("failures"))
    rows_affected = _number(rows)
    return NodeOutcome(
        unique_id=str(entry["unique_id"]),
        status=str(entry.get("status", "")).lower(),
        message=str(message) if message not in (None, "") else None,
        execution_time=execution_time,
        failures=int(failures) if failures is not None else None,
        # dbt-duckdb and others say -1 when they do not know.
        rows_affected=int(rows_affected)
        if rows_affected is not None and rows_affected >= 0
        else None,
        relation_name=entry.get("relation_name") or None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
