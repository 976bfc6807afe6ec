"""Processes that write one cache entry over and over (for the torn-entry test).

Importable by a ``spawn``-ed child: only the cache and the standard library.
"""

from __future__ import annotations

import json
from multiprocessing.synchronize import Event
from pathlib import Path

from floe_dbt_cloud.cache import ArtifactCache

HOST = "cloud.getdbt.com"
RUN_ID = 77
# Large enough that writing and reading an entry take a while, so they overlap.
PADDING = "x" * 200_000


def _schema(kind: str) -> dict[str, str]:
    return {"dbt_schema_version": f"https://schemas.getdbt.com/dbt/{kind}/v12.json"}


def artifacts(unique_id: str) -> dict[str, bytes]:
    """A manifest and run results that both name ``unique_id`` (the writer and version)."""
    node = {"unique_id": unique_id, "resource_type": "model", "raw_code": PADDING}
    manifest = {"metadata": _schema("manifest"), "nodes": {unique_id: node}, "sources": {}}
    results = {
        "metadata": _schema("run-results"),
        "results": [{"unique_id": unique_id, "status": "success", "message": PADDING}],
    }
    return {
        "manifest.json": json.dumps(manifest).encode(),
        "run_results.json": json.dumps(results).encode(),
    }


def write_entries(root: str, writer: int, versions: int, start: Event) -> None:
    """Publish ``versions`` versions of run 77's entry as job ``writer``."""
    cache = ArtifactCache(Path(root), host=HOST, enabled=True)
    start.wait(60)
    for version in range(versions):
        cache.store(
            RUN_ID,
            account_id="1",
            job_id=writer,
            artifacts=artifacts(f"model.p.writer{writer}_v{version}"),
        )
