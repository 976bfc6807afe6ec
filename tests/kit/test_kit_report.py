"""Verdict rules, summary table and certificate files, on hand-made outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from floe_dbt_compliance.catalogue import REQUIREMENTS
from floe_dbt_compliance.report import (
    Outcome,
    build_certificate,
    summary_lines,
    write_certificate,
)
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.status import Status


def outcomes(status: Status = Status.PASSED, **overrides: Status) -> list[Outcome]:
    found = []
    for key in REQUIREMENTS:
        chosen = overrides.get(key.replace(".", "_").replace("-", "_"), status)
        found.append(Outcome("acme", key, f"suite::{key}[acme]", chosen, "why", 0.5))
    return found


def test_all_passed_is_certified():
    assert build_certificate("acme", "m:C", {}, outcomes(), strict=False).verdict == "certified"


def test_a_failure_is_not_certified_even_among_passes():
    found = outcomes(spans_status=Status.FAILED)
    certificate = build_certificate("acme", "m:C", {}, found, strict=False)
    assert certificate.verdict == "not certified"
    row = next(row for row in certificate.rows if row.key == "spans.status")
    assert (row.status, row.reason) == (Status.FAILED, "why")


def test_a_missing_or_skipped_mandatory_row_is_incomplete_and_strict_refuses_it():
    found = [o for o in outcomes() if o.requirement != "compile.manifest"]
    assert build_certificate("acme", "m:C", {}, found, strict=False).verdict == "incomplete"
    skipped = outcomes(metadata_type=Status.SKIPPED)
    assert build_certificate("acme", "m:C", {}, skipped, strict=False).verdict == "incomplete"
    assert build_certificate("acme", "m:C", {}, skipped, strict=True).verdict == "not certified"


def test_a_row_takes_the_worst_of_its_tests():
    findings = json.dumps([{"scenario": "s", "step": "k", "differences": []}])
    found = [
        *outcomes(),
        Outcome("acme", "cache.hit", "x", Status.FAILED, "second test broke", 0.1, findings),
    ]
    certificate = build_certificate("acme", "m:C", {}, found, strict=False)
    row = next(row for row in certificate.rows if row.key == "cache.hit")
    assert row.status == Status.FAILED
    assert row.findings == [{"scenario": "s", "step": "k", "differences": []}]
    assert row.reason == "second test broke"
    assert row.duration_seconds == pytest.approx(0.6)


def test_files_and_summary(tmp_path: Path):
    certificate = build_certificate(
        "acme",
        "m:C",
        {"type": "acme"},
        outcomes(cache_private=Status.NOT_APPLICABLE),
        strict=False,
        oracle={"seed": 3, "examples": 2},
    )
    directory = write_certificate(certificate, tmp_path)
    document = json.loads((directory / "certificate.json").read_text())
    assert document["verdict"] == "certified"
    assert document["oracle"] == {"seed": 3, "examples": 2}
    assert "* Oracle seed: 3" in (directory / "certificate.md").read_text()
    assert document["runtime"] == {"name": "acme", "class": "m:C", "metadata": {"type": "acme"}}
    assert document["summary"] == {"passed": len(REQUIREMENTS) - 1, "n/a": 1}
    assert len(document["requirements"]) == len(REQUIREMENTS)
    assert 'fill="#4c1"' in (directory / "badge.svg").read_text()
    lines = summary_lines([certificate])
    assert lines[0].split() == ["requirement", "acme"]
    assert "acme (m:C): certified" in lines
    assert any(line.strip().startswith("n/a cache.private") for line in lines)


def test_a_runtime_that_implements_nothing_is_not_implemented():
    found = outcomes(Status.NOT_IMPLEMENTED)
    assert build_certificate("acme", "m:F", None, found, strict=False).verdict == "not implemented"
    assert build_certificate("acme", "m:F", None, found, strict=True).verdict == "not certified"
    passed = Outcome("acme", found[0].requirement, "n", Status.PASSED, "", 0.1)
    verdict = build_certificate("acme", "m:F", None, [*found[1:], passed], strict=False).verdict
    assert verdict == "incomplete"


def test_outcomes_travel_to_the_xdist_controller_as_json():
    outcome = Outcome("acme", "run.all", "n", Status.NOT_APPLICABLE, "why", 0.2, None)
    assert Outcome.from_json(json.loads(json.dumps(outcome.as_json()))) == outcome


def test_an_unknown_requirement_key_is_refused():
    with pytest.raises(KeyError, match="not in the floe-dbt requirement catalogue"):
        requirement("run.nope")
