"""Scenarios the cache tests run elsewhere: writer processes, and a thread without root's rights.

Importable by a ``spawn``-ed child: only the cache and the standard library
at import time.
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


def unusable_cache_scenario(cache_dir: str, project_dir: str) -> dict[str, object]:
    """get_manifest() and run_models() against a mocked dbt Cloud, with a cache we cannot use.

    Run in a thread that obeys file permissions (root's own are dropped for
    it), so the permission errors are the system's own.

    Returns:
        What each call returned and every warning logged, as JSON values.
    """
    import logging

    import httpx
    from pydantic import SecretStr

    from floe_dbt_cloud import DBTCloudPlugin

    compile_steps = [{"index": 1, "name": "Invoke dbt with `dbt compile`", "status": 10}]
    run_steps = [{"index": 1, "name": "Invoke dbt with `dbt run`", "status": 10}]
    both = artifacts("model.p.customers")

    def run(run_id: int, job_id: int, steps: list[dict[str, object]]) -> dict[str, object]:
        data = {"id": run_id, "account_id": 1, "job_definition_id": job_id, "status": 10}
        return {"status": {"is_success": True}, "data": {**data, "run_steps": steps}}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v2/accounts/1/")
        if path == "runs/":
            page = {
                "data": [run(5, 1, [])["data"]],
                "extra": {"pagination": {"count": 1, "total_count": 1}},
            }
            return httpx.Response(200, json={"status": {"is_success": True}, **page})
        if path == "runs/5/":
            return httpx.Response(200, json=run(5, 1, compile_steps))
        if path in ("jobs/2/run/", "runs/6/"):
            return httpx.Response(200, json=run(6, 2, run_steps))
        name = path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=both[name]) if name in both else httpx.Response(404)

    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("floe_dbt_cloud").addHandler(handler)
    runtime = DBTCloudPlugin(
        "1",
        SecretStr("dbtc_not-a-real-token-0123456789"),
        "https://cloud.getdbt.com/api/v2",
        {"compile": 1, "run": 2, "test": 3},
        cache_dir=Path(cache_dir),
        transport=httpx.MockTransport(answer),
        sleep=lambda seconds: None,
    )
    manifest = runtime.get_manifest(Path(project_dir))
    result = runtime.run_models(Path(project_dir), Path(project_dir), "prod")
    return {
        "manifest_nodes": sorted(manifest["nodes"]),
        "run": [result.success, result.models_run, result.run_results_path.is_file()],
        "warnings": warnings,
    }
