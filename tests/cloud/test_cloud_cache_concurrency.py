"""Torn cache entries (hardening, row 4): two writer processes and a reader on one entry.

Before the fix a reader could get the metadata of one writer's entry with the
manifest of another's. Now an entry is written beside and published whole,
and a reader reads metadata and artifacts through one handle on the
directory it chose: every read is one writer's whole entry, or a miss.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from cache_workers import HOST, write_entries

from floe_dbt_cloud.cache import ArtifactCache

pytestmark = pytest.mark.timeout(120)

VERSIONS = 150


def _writer_of(unique_id: str) -> str:
    # "model.p.writer2_v17" -> "2"
    return unique_id.removeprefix("model.p.writer").split("_v", 1)[0]


def test_every_read_is_one_writers_whole_entry(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=write_entries, args=(str(root), writer, VERSIONS, start))
        for writer in (1, 2)
    ]
    for process in writers:
        process.start()
    reader = ArtifactCache(root, host=HOST, enabled=True)
    whole, torn = 0, []
    try:
        start.set()
        while any(process.is_alive() for process in writers):
            entry = reader.latest("manifest.json", account_id="1")
            if entry is None:
                continue
            manifest = reader.read(entry, "manifest.json")
            results = reader.read(entry, "run_results.json")
            if manifest is None or results is None:
                continue  # replaced between choosing and reading: a miss
            [node] = manifest["nodes"]
            [result] = results["results"]
            seen = (entry.metadata.job_id, _writer_of(node), _writer_of(result["unique_id"]))
            if len(set(seen)) != 1 or node != result["unique_id"]:
                torn.append(seen)
            else:
                whole += 1
    finally:
        for process in writers:
            process.join(60)
    assert [process.exitcode for process in writers] == [0, 0]
    assert torn == [], f"{len(torn)} torn reads (metadata job, manifest, run_results): {torn[:5]}"
    assert whole > 0  # the reader did read entries while they were being replaced
    # The last version of one writer is in place, whole, and no staging is left behind.
    assert sorted(p.name for p in root.iterdir()) == ["77"]
