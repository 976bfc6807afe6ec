"""The contract's result of one finished invocation, read from the run_results.json it wrote."""

from __future__ import annotations

from typing import Any

from floe_core.artifacts import count_run_results, read_json_artifact
from floe_core.errors import DBTExecutionError
from floe_core.lifecycle import lifecycle_metadata
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import COMMANDS
from floe_dbt_local.invocation import Invocation

__all__ = ["invocation_result"]


def invocation_result(invocation: Invocation, metadata: dict[str, Any]) -> DBTRunResult:
    """Count what the invocation did, from the ``run_results.json`` it wrote.

    Args:
        invocation: A finished ``run``, ``test``, ``seed``, ``snapshot`` or ``build``.
        metadata: The runtime's own entries (type, versions, adapter), extended here.

    Returns:
        The result; for a lifecycle command its metadata carries ``seeds_run``
        and ``snapshots_run``.

    Raises:
        DBTArtifactNotFoundError: dbt wrote no ``run_results.json``.
        DBTExecutionError: The file there was written by another invocation.
    """
    layout = invocation.layout
    run_results = read_json_artifact(
        layout.run_results_path,
        what=f"`dbt {invocation.command}` reported no error but did not write it",
    )
    written_by = run_results.get("metadata", {}).get("invocation_id")
    if invocation.invocation_id is not None and written_by != invocation.invocation_id:
        # Reading an older file would report another invocation's counts.
        raise DBTExecutionError(
            f"{layout.run_results_path} was not written by this `dbt {invocation.command}` "
            f"(invocation {invocation.invocation_id}, file from {written_by}); "
            "is DBT_WRITE_JSON=false set, or is another process running dbt on the same "
            "project and target path?"
        )
    counts = count_run_results(run_results)
    metadata = {
        **metadata,
        "command": invocation.command,
        "target": invocation.target,
        "invocation_id": invocation.invocation_id,
        "manifest_reused": invocation.manifest_reused,
    }
    # A lifecycle command's result counts seeds and snapshots too.
    metadata.update(lifecycle_metadata(COMMANDS[invocation.command], run_results))
    return DBTRunResult(
        success=bool(invocation.result.success) and counts.failures == 0,
        manifest_path=layout.manifest_path,
        run_results_path=layout.run_results_path,
        execution_time_seconds=invocation.seconds,
        models_run=counts.models_run,
        tests_run=counts.tests_run,
        failures=counts.failures,
        metadata=metadata,
    )
