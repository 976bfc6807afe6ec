"""Release what dbt adapters keep open between invocations.

dbt-core resets its adapter factory at the start of every invocation, but
leaves the last adapters registered afterwards; astronomer-cosmos resets them
after each in-process invocation for the same reason (their issue 2334:
leaked semaphores and connections in long-lived workers). dbt-duckdb goes
further and keeps its DuckDB instance in a class attribute, which holds the
database file open (and locked against every other process) for as long as
the Python process lives.
"""

from __future__ import annotations

import logging
import sys

from dbt.adapters.factory import reset_adapters

__all__ = ["release_adapters"]

logger = logging.getLogger(__name__)


def release_adapters() -> None:
    """Close the adapters' connections and the DuckDB instance dbt-duckdb keeps.

    Never raises: a failure to clean up must not turn a finished invocation
    into an error; it is logged instead.
    """
    try:
        reset_adapters()  # type: ignore[no-untyped-call]
    except Exception:
        logger.warning("dbt adapter reset failed after an invocation", exc_info=True)
    # Only when dbt-duckdb was imported, i.e. a duckdb profile was used.
    duckdb_connections = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(duckdb_connections, "DuckDBConnectionManager", None)
    if manager is None:
        return
    with manager._LOCK:
        environment = manager._ENV
        manager._ENV = None
    if environment is not None:
        try:
            environment.close()
        except Exception:
            logger.warning("closing dbt-duckdb's DuckDB instance failed", exc_info=True)
