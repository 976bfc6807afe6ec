"""The lifecycle capability's counting rules, on real run_results.json files (data/run_results)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_core import LifecycleCounts, count_lifecycle_nodes, supports_lifecycle

DATA = Path(__file__).parent / "data" / "run_results"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("build.json", LifecycleCounts(seeds_run=1, snapshots_run=1)),
        ("seed.json", LifecycleCounts(seeds_run=1, snapshots_run=0)),
        ("snapshot.json", LifecycleCounts(seeds_run=0, snapshots_run=1)),
        ("run.json", LifecycleCounts(seeds_run=0, snapshots_run=0)),
    ],
)
def test_seeds_and_snapshots_that_executed(name: str, expected: LifecycleCounts) -> None:
    assert count_lifecycle_nodes(json.loads((DATA / name).read_text())) == expected


def test_failed_nodes_ran_and_skipped_ones_did_not() -> None:
    results = [
        {"unique_id": "seed.p.bad_row", "status": "error"},
        {"unique_id": "seed.p.later", "status": "skipped"},
        {"unique_id": "snapshot.p.s", "status": "SUCCESS"},
        {"unique_id": "model.p.m", "status": "success"},
        "not a result",
    ]
    counts = count_lifecycle_nodes({"results": results})
    assert counts == LifecycleCounts(seeds_run=1, snapshots_run=1)
    assert counts.as_metadata() == {"seeds_run": 1, "snapshots_run": 1}


def test_a_document_without_results_is_refused() -> None:
    with pytest.raises(ValueError, match="has no 'results' list"):
        count_lifecycle_nodes({"nodes": {}})


def test_supports_lifecycle_needs_both_classes() -> None:
    assert supports_lifecycle(object()) is False
