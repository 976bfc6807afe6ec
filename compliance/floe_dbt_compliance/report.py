"""The certificate: per-requirement rows, the verdict, and the files CI reads.

Outcomes are gathered from test reports (on each xdist worker, then merged on
the controller), combined into one row per (runtime, requirement), and
written as ``certificate.json``, ``certificate.md`` and ``badge.svg`` under
``<report dir>/<runtime>/``.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from html import escape
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pytest

from floe_dbt_compliance.requirements import NOT_APPLICABLE_PREFIX, REQUIREMENTS

__all__ = [
    "NOT_IMPLEMENTED_PREFIX",
    "Certificate",
    "Outcome",
    "build_certificate",
    "outcome_from_report",
    "write_certificate",
]

NOT_IMPLEMENTED_PREFIX = "[not implemented] "
RUNTIME_PROPERTY = "floe_dbt_runtime"
REQUIREMENT_PROPERTY = "floe_dbt_requirement"
# Worst first: a row takes the worst status of its tests and phases.
_RANK = {"failed": 0, "skipped": 1, "passed": 2, "n/a": 3}
_REASON_LIMIT = 600
_COLOURS = {
    "certified": "#4c1",
    "not certified": "#e05d44",
    "not implemented": "#9f9f9f",
    "incomplete": "#dfb317",
}


@dataclass
class Outcome:
    """One test phase's outcome for one (runtime, requirement)."""

    runtime: str
    requirement: str
    nodeid: str
    status: str
    reason: str
    duration: float


@dataclass
class Row:
    """One certificate row."""

    key: str
    req_ids: list[str]
    title: str
    capability: str | None
    mandatory: bool
    status: str
    reason: str
    duration_seconds: float
    tests: list[str] = field(default_factory=list)


@dataclass
class Certificate:
    """Everything a certificate says about one runtime."""

    runtime: str
    runtime_class: str
    metadata: dict[str, Any] | None
    verdict: str
    strict: bool
    rows: list[Row]
    generated_at: str
    versions: dict[str, str | None]

    def as_json(self) -> dict[str, Any]:
        """The ``certificate.json`` document."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return {
            "kit": {"name": "floe-dbt compliance kit", "version": self.versions["kit"]},
            "runtime": {
                "name": self.runtime,
                "class": self.runtime_class,
                "metadata": self.metadata,
            },
            "environment": {
                "dbt_version": self.versions["dbt"],
                "python_version": self.versions["python"],
                "platform": self.versions["platform"],
            },
            "generated_at": self.generated_at,
            "strict": self.strict,
            "verdict": self.verdict,
            "summary": counts,
            "requirements": [asdict(row) for row in self.rows],
        }


def _version(distribution: str) -> str | None:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple):
        text = str(longrepr[2]).removeprefix("Skipped: ")
    else:
        crash = getattr(longrepr, "reprcrash", None)
        text = str(getattr(crash, "message", "") or report.longreprtext)
    text = " ".join(text.split())
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 3] + "..."


def outcome_from_report(report: pytest.TestReport) -> Outcome | None:
    """Turn one phase's report of a kit test into an :class:`Outcome`, if it says something."""
    properties = dict(report.user_properties)
    runtime, key = properties.get(RUNTIME_PROPERTY), properties.get(REQUIREMENT_PROPERTY)
    if runtime is None or key is None:
        return None
    if report.passed and report.when != "call":
        return None
    status: str = report.outcome
    reason = "" if report.passed else _reason(report)
    if report.skipped and reason.startswith(NOT_APPLICABLE_PREFIX):
        status, reason = "n/a", reason.removeprefix(NOT_APPLICABLE_PREFIX)
    if report.failed and report.when != "call":
        reason = f"error in {report.when}: {reason}"
    return Outcome(str(runtime), str(key), report.nodeid, status, reason, report.duration)


def _rows(outcomes: list[Outcome]) -> list[Row]:
    rows = []
    for key, entry in REQUIREMENTS.items():
        mine = [outcome for outcome in outcomes if outcome.requirement == key]
        if mine:
            worst = min(mine, key=lambda outcome: _RANK[outcome.status])
            status, reason = worst.status, worst.reason
        else:
            status, reason = "not run", "no kit test for it was selected"
        rows.append(
            Row(
                key=key,
                req_ids=list(entry.req_ids),
                title=entry.title,
                capability=entry.capability,
                mandatory=entry.mandatory,
                status=status,
                reason=reason,
                duration_seconds=round(sum(outcome.duration for outcome in mine), 4),
                tests=sorted({outcome.nodeid for outcome in mine}),
            )
        )
    return rows


def verdict(rows: list[Row], *, strict: bool) -> str:
    """Decide the verdict.

    * ``not implemented``: every row skipped because the runtime implements nothing;
    * ``not certified``: a row failed (or, under ``--floe-dbt-strict``, anything
      short of certified);
    * ``incomplete``: a row was not run or a mandatory row was skipped;
    * ``certified``: every row passed or does not apply.
    """
    statuses = {row.status for row in rows}
    if statuses == {"skipped"} and all(
        row.reason.startswith(NOT_IMPLEMENTED_PREFIX) for row in rows
    ):
        decided = "not implemented"
    elif "failed" in statuses:
        decided = "not certified"
    elif "not run" in statuses or any(row.status == "skipped" and row.mandatory for row in rows):
        decided = "incomplete"
    else:
        decided = "certified"
    if strict and decided != "certified":
        return "not certified"
    return decided


def build_certificate(
    runtime: str,
    runtime_class: str,
    metadata: dict[str, Any] | None,
    outcomes: list[Outcome],
    *,
    strict: bool,
) -> Certificate:
    """Combine a runtime's outcomes into its certificate."""
    rows = _rows([outcome for outcome in outcomes if outcome.runtime == runtime])
    return Certificate(
        runtime=runtime,
        runtime_class=runtime_class,
        metadata=metadata,
        verdict=verdict(rows, strict=strict),
        strict=strict,
        rows=rows,
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        versions={
            "kit": _version("floe-dbt"),
            "dbt": _version("dbt-core"),
            "python": platform.python_version(),
            "platform": f"{platform.platform()} ({sys.implementation.name})",
        },
    )


def _markdown(certificate: Certificate) -> str:
    document = certificate.as_json()
    lines = [
        f"# floe-dbt certificate: `{certificate.runtime}`",
        "",
        f"**Verdict: {certificate.verdict}**",
        "",
        f"* Runtime class: `{certificate.runtime_class}`",
        f"* Kit version: {document['kit']['version']}",
        f"* dbt-core: {document['environment']['dbt_version']}; "
        f"Python {document['environment']['python_version']}; "
        f"{document['environment']['platform']}",
        f"* Generated: {certificate.generated_at}" + (" (strict)" if certificate.strict else ""),
        "",
        "| requirement | spec | status | reason | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in certificate.rows:
        reason = row.reason.replace("|", "\\|")
        lines.append(
            f"| `{row.key}` {row.title} | {', '.join(row.req_ids)} | {row.status} | "
            f"{reason} | {row.duration_seconds:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _badge(certificate: Certificate) -> str:
    label, message = f"floe-dbt {certificate.runtime}", certificate.verdict
    colour = _COLOURS[certificate.verdict]
    left, right = 7 * len(label) + 12, 7 * len(message) + 12
    width = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{escape(label)}: {escape(message)}">'
        f"<title>{escape(label)}: {escape(message)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2}" y="14">{escape(message)}</text>'
        "</g></svg>\n"
    )


def write_certificate(certificate: Certificate, report_dir: Path) -> Path:
    """Write ``certificate.json``, ``certificate.md`` and ``badge.svg``.

    Returns:
        The runtime's directory.
    """
    directory = report_dir / certificate.runtime
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "certificate.json").write_text(
        json.dumps(certificate.as_json(), indent=2, default=str) + "\n", encoding="utf-8"
    )
    (directory / "certificate.md").write_text(_markdown(certificate), encoding="utf-8")
    (directory / "badge.svg").write_text(_badge(certificate), encoding="utf-8")
    return directory


_CELLS = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "n/a": "n/a", "not run": "-"}


def summary_lines(certificates: list[Certificate]) -> list[str]:
    """The terminal table: requirement x runtime, then the reasons of what did not pass."""
    width = max(len(key) for key in REQUIREMENTS)
    names = [certificate.runtime for certificate in certificates]
    column = max([6, *(len(name) for name in names)])
    lines = ["requirement".ljust(width) + "  " + "  ".join(name.ljust(column) for name in names)]
    for index, key in enumerate(REQUIREMENTS):
        cells = [_CELLS[certificate.rows[index].status] for certificate in certificates]
        lines.append(key.ljust(width) + "  " + "  ".join(cell.ljust(column) for cell in cells))
    lines.append("")
    for certificate in certificates:
        lines.append(f"{certificate.runtime} ({certificate.runtime_class}): {certificate.verdict}")
        # Failures one per line; other rows grouped when they share a reason.
        groups: dict[tuple[str, str], list[str]] = {}
        for row in certificate.rows:
            if row.status == "failed":
                lines.append(f"  {_CELLS[row.status]:>4} {row.key}: {row.reason}")
            elif row.status != "passed":
                groups.setdefault((row.status, row.reason), []).append(row.key)
        for (status, reason), keys in groups.items():
            lines.append(f"  {_CELLS[status]:>4} {', '.join(keys)}: {reason}")
    return lines
