"""Verdict rules, summary table and certificate files, on hand-made outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from floe_dbt_compliance.report import (
    Outcome,
    build_certificate,
    summary_lines,
    write_certificate,
)
from floe_dbt_compliance.requirements import REQUIREMENTS, requirement


def outcomes(status: str = "passed", **overrides: str) -> list[Outcome]:
    found = []
    for key in REQUIREMENTS:
        chosen = overrides.get(key.replace(".", "_").replace("-", "_"), status)
        found.append(Outcome("acme", key, f"suite::{key}[acme]", chosen, "why", 0.5))
    return found


def test_all_passed_is_certified():
    assert build_certificate("acme", "m:C", {}, outcomes(), strict=False).verdict == "certified"


def test_a_failure_is_not_certified_even_among_passes():
    found = outcomes(contract_spans="failed")
    certificate = build_certificate("acme", "m:C", {}, found, strict=False)
    assert certificate.verdict == "not certified"
    row = next(row for row in certificate.rows if row.key == "contract.spans")
    assert (row.status, row.reason) == ("failed", "why")


def test_a_missing_or_skipped_mandatory_row_is_incomplete_and_strict_refuses_it():
    found = [o for o in outcomes() if o.requirement != "contract.compile"]
    assert build_certificate("acme", "m:C", {}, found, strict=False).verdict == "incomplete"
    skipped = outcomes(contract_metadata="skipped")
    assert build_certificate("acme", "m:C", {}, skipped, strict=False).verdict == "incomplete"
    assert build_certificate("acme", "m:C", {}, skipped, strict=True).verdict == "not certified"


def test_a_row_takes_the_worst_of_its_tests():
    found = [*outcomes(), Outcome("acme", "cache.hit", "x", "failed", "second test broke", 0.1)]
    certificate = build_certificate("acme", "m:C", {}, found, strict=False)
    row = next(row for row in certificate.rows if row.key == "cache.hit")
    assert row.status == "failed"
    assert row.reason == "second test broke"
    assert row.duration_seconds == pytest.approx(0.6)


def test_files_and_summary(tmp_path: Path):
    certificate = build_certificate(
        "acme", "m:C", {"type": "acme"}, outcomes(cache_private="n/a"), strict=False
    )
    directory = write_certificate(certificate, tmp_path)
    document = json.loads((directory / "certificate.json").read_text())
    assert document["verdict"] == "certified"
    assert document["runtime"] == {"name": "acme", "class": "m:C", "metadata": {"type": "acme"}}
    assert document["summary"] == {"passed": len(REQUIREMENTS) - 1, "n/a": 1}
    assert len(document["requirements"]) == len(REQUIREMENTS)
    assert 'fill="#4c1"' in (directory / "badge.svg").read_text()
    lines = summary_lines([certificate])
    assert lines[0].split() == ["requirement", "acme"]
    assert "acme (m:C): certified" in lines
    assert any(line.strip().startswith("n/a cache.private") for line in lines)


def test_an_unknown_requirement_key_is_refused():
    with pytest.raises(KeyError, match="not in the floe-dbt requirement catalogue"):
        requirement("contract.nope")
