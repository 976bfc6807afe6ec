"""get_manifest() served from the artifact cache vs reading and parsing the file directly.

A ~50 MB synthetic manifest (shaped as dbt writes one) is cached as a run's
entry; the cloud runtime's get_manifest() must cost at most 1.10x a plain
``json.loads(path.read_bytes())``. The two are timed in turn, repeat by
repeat. Printed, not asserted.

Run: ``.venv/bin/python benchmarks/cloud_cache.py``
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from floe_dbt_cloud import DBTCloudPlugin

TARGET_MB = 50
REPEATS = 7


def synthetic_manifest(target_bytes: int) -> bytes:
    node = {
        "resource_type": "model",
        "package_name": "bench",
        "path": "marts/model.sql",
        "original_file_path": "models/marts/model.sql",
        "raw_code": "select * from {{ ref('upstream') }} where amount > 0 -- " + "x" * 400,
        "config": {"materialized": "table", "tags": ["nightly"], "meta": {"owner": "data"}},
        "depends_on": {"nodes": ["model.bench.upstream"], "macros": []},
        "columns": {f"col_{i}": {"name": f"col_{i}", "description": "a column"} for i in range(8)},
    }
    size_per_node = len(json.dumps(node)) + 40
    count = target_bytes // size_per_node
    nodes = {
        f"model.bench.m{i}": {**node, "unique_id": f"model.bench.m{i}", "name": f"m{i}"}
        for i in range(count)
    }
    metadata = {
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
        "dbt_version": "1.11.0",
    }
    return json.dumps({"metadata": metadata, "nodes": nodes, "sources": {}}).encode()


def interleaved(first, second, repeats: int = REPEATS) -> tuple[list[float], list[float]]:
    """Time ``first`` and ``second`` one after the other, ``repeats`` times."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for function, record in zip((first, second), times, strict=True):
            started = time.perf_counter()
            function()
            record.append(time.perf_counter() - started)
    return times


def main() -> None:
    content = synthetic_manifest(TARGET_MB * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="floe-cloud-cache-bench-") as scratch:
        root = Path(scratch)
        plugin = DBTCloudPlugin(
            "1",
            SecretStr("bench"),
            "http://127.0.0.1:9/api/v2",
            {"compile": 1, "run": 2, "test": 3},
            cache_dir=root / "cache",
        )
        for run_id in range(100, 110):  # a few older entries, as a used cache has
            plugin.cache.store(run_id, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"})
        entry = plugin.cache.store(
            999, account_id="1", job_id=1, artifacts={"manifest.json": content}
        )
        assert entry is not None
        direct_path = root / "manifest.json"
        direct_path.write_bytes(content)

        def direct() -> object:
            return json.loads(direct_path.read_bytes())

        def cached() -> object:
            return plugin.get_manifest(root / "project")

        assert cached() == direct()
        # Interleaved, so a change in the machine's load hits both sides alike.
        direct_times, cached_times = interleaved(direct, cached)
        direct_min, direct_median = min(direct_times), statistics.median(direct_times)
        cached_min, cached_median = min(cached_times), statistics.median(cached_times)
        print(
            f"manifest size: {len(content) / 1024 / 1024:.1f} MB, "
            f"{REPEATS} repeats, 11 cache entries"
        )
        print(
            f"read + json.loads directly:     min {direct_min * 1000:7.1f} ms   "
            f"median {direct_median * 1000:7.1f} ms"
        )
        print(
            f"get_manifest() from the cache:  min {cached_min * 1000:7.1f} ms   "
            f"median {cached_median * 1000:7.1f} ms"
        )
        print(f"ratio (median): {cached_median / direct_median:.3f}   target <= 1.10")


if __name__ == "__main__":
    main()
