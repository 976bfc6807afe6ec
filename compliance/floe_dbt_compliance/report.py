"""The certificate: per-requirement rows, the verdict, and the files CI reads.

Outcomes are gathered from test reports (on each xdist worker, then merged on
the controller), combined into one row per (runtime, requirement), and
written as ``certificate.json``, ``certificate.md`` and ``badge.svg`` under
``<report dir>/<runtime>/``. A partial session (rows deselected, collection
only, stopped early) writes ``certificate.partial.json`` and
``certificate.partial.md`` beside them instead, and no badge: a complete
certificate, and the badge a vendor commits, are never overwritten by less.
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

from floe_dbt_compliance.catalogue import REQUIREMENTS
from floe_dbt_compliance.status import FINDINGS_ATTRIBUTE, REASON_ATTRIBUTE, Status, status_of

__all__ = [
    "CELLS",
    "Certificate",
    "Outcome",
    "build_certificate",
    "outcome_from_report",
    "write_certificate",
]

RUNTIME_PROPERTY = "floe_dbt_runtime"
REQUIREMENT_PROPERTY = "floe_dbt_requirement"
_REASON_LIMIT = 600
_COLOURS = {
    "certified": "#4c1",
    "not certified": "#e05d44",
    "not implemented": "#9f9f9f",
    "incomplete": "#dfb317",
}


@dataclass
class Outcome:
    """One test phase's outcome for one (runtime, requirement).

    Attributes:
        findings: A disagreement with the reference, as JSON text (see
            :class:`~floe_dbt_compliance.runs.Finding`), when that is why it failed.
    """

    runtime: str
    requirement: str
    nodeid: str
    status: Status
    reason: str
    duration: float
    findings: str | None = None

    def as_json(self) -> dict[str, Any]:
        """For the xdist controller."""
        document = asdict(self)
        document["status"] = self.status.value
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Outcome:
        """Read back :meth:`as_json`."""
        return cls(**{**document, "status": Status(document["status"])})


@dataclass
class Row:
    """One certificate row."""

    key: str
    req_ids: list[str]
    title: str
    capability: str | None
    mandatory: bool
    status: Status
    reason: str
    duration_seconds: float
    tests: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The row in ``certificate.json``."""
        document = asdict(self)
        document["status"] = self.status.value
        return document


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
    oracle: dict[str, Any] = field(default_factory=dict)
    #: Why the session was partial (its certificate is written beside the complete one).
    partial: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The ``certificate.json`` document (``certificate.partial.json`` when partial)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.status.value] = counts.get(row.status.value, 0) + 1
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
            **({"partial": self.partial} if self.partial else {}),
            "verdict": self.verdict,
            "summary": counts,
            "oracle": self.oracle,
            "requirements": [row.as_json() for row in self.rows],
        }


def _version(distribution: str) -> str | None:
    try:
        return importlib_metadata.version(distribution)
    except importlib_metadata.PackageNotFoundError:
        return None


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    typed = getattr(report, REASON_ATTRIBUTE, None)
    if typed is not None:
        text = str(typed)
    elif report.skipped and isinstance(longrepr, tuple):
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
    status = status_of(report)
    reason = "" if report.passed else _reason(report)
    if report.failed and report.when != "call":
        reason = f"error in {report.when}: {reason}"
    findings = getattr(report, FINDINGS_ATTRIBUTE, None)
    return Outcome(str(runtime), str(key), report.nodeid, status, reason, report.duration, findings)


def _rows(outcomes: list[Outcome]) -> list[Row]:
    rows = []
    for key, entry in REQUIREMENTS.items():
        mine = [outcome for outcome in outcomes if outcome.requirement == key]
        findings: list[dict[str, Any]] = []
        if mine:
            worst = min(mine, key=lambda outcome: outcome.status.rank)
            status, reason = worst.status, worst.reason
            for outcome in mine:
                findings += json.loads(outcome.findings) if outcome.findings else []
        else:
            status, reason = Status.NOT_RUN, "no kit test for it was selected"
        rows.append(
            Row(
                key=key,
                req_ids=list(entry.req_ids),
                title=entry.title,
                capability=None if entry.capability is None else entry.capability.value,
                mandatory=entry.mandatory,
                status=status,
                reason=reason,
                duration_seconds=round(sum(outcome.duration for outcome in mine), 4),
                tests=sorted({outcome.nodeid for outcome in mine}),
                findings=findings,
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
    if statuses == {Status.NOT_IMPLEMENTED}:
        decided = "not implemented"
    elif Status.FAILED in statuses:
        decided = "not certified"
    elif Status.NOT_RUN in statuses or any(
        row.status in (Status.SKIPPED, Status.NOT_IMPLEMENTED) and row.mandatory for row in rows
    ):
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
    oracle: dict[str, Any] | None = None,
) -> Certificate:
    """Combine a runtime's outcomes into its certificate.

    Args:
        runtime: The runtime's name.
        runtime_class: ``module:QualName`` of its class.
        metadata: Its ``get_runtime_metadata()``.
        outcomes: Every outcome of the session (others' are ignored).
        strict: ``--floe-dbt-strict``.
        oracle: The reference and the generated projects' seed, for the record.
    """
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
        oracle=dict(oracle or {}),
    )


def _markdown(certificate: Certificate) -> str:
    document = certificate.as_json()
    lines = [
        f"# floe-dbt certificate: `{certificate.runtime}`",
        "",
        f"**Verdict: {certificate.verdict}**",
        "",
        *(
            [f"**Partial session** ({certificate.partial}): not a certificate of the runtime.", ""]
            if certificate.partial
            else []
        ),
        f"* Runtime class: `{certificate.runtime_class}`",
        f"* Kit version: {document['kit']['version']}",
        f"* dbt-core: {document['environment']['dbt_version']}; "
        f"Python {document['environment']['python_version']}; "
        f"{document['environment']['platform']}",
        f"* Generated: {certificate.generated_at}" + (" (strict)" if certificate.strict else ""),
        *(f"* Oracle {key}: {value}" for key, value in certificate.oracle.items()),
        "",
        "| requirement | spec | status | reason | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in certificate.rows:
        reason = row.reason.replace("|", "\\|")
        lines.append(
            f"| `{row.key}` {row.title} | {', '.join(row.req_ids)} | {row.status.value} | "
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


PARTIAL_FILES = ("certificate.partial.json", "certificate.partial.md")


def write_certificate(certificate: Certificate, report_dir: Path) -> Path:
    """Write ``certificate.json``, ``certificate.md`` and ``badge.svg`` (or the partial files).

    A complete certificate removes a partial one left by an earlier session;
    a partial one leaves the complete certificate and the badge as they are.

    Returns:
        The runtime's directory.
    """
    directory = report_dir / certificate.runtime
    directory.mkdir(parents=True, exist_ok=True)
    document = json.dumps(certificate.as_json(), indent=2, default=str) + "\n"
    if certificate.partial:
        json_name, markdown_name = PARTIAL_FILES
    else:
        json_name, markdown_name = "certificate.json", "certificate.md"
        (directory / "badge.svg").write_text(_badge(certificate), encoding="utf-8")
        for stale in PARTIAL_FILES:
            (directory / stale).unlink(missing_ok=True)
    (directory / json_name).write_text(document, encoding="utf-8")
    (directory / markdown_name).write_text(_markdown(certificate), encoding="utf-8")
    return directory


CELLS = {
    Status.PASSED: "pass",
    Status.FAILED: "FAIL",
    Status.SKIPPED: "skip",
    Status.NOT_APPLICABLE: "n/a",
    Status.NOT_RUN: "-",
    Status.NOT_IMPLEMENTED: "n/i",
}


def summary_lines(certificates: list[Certificate]) -> list[str]:
    """The terminal table: requirement x runtime, then the reasons of what did not pass."""
    width = max(len(key) for key in REQUIREMENTS)
    names = [certificate.runtime for certificate in certificates]
    column = max([6, *(len(name) for name in names)])
    lines = ["requirement".ljust(width) + "  " + "  ".join(name.ljust(column) for name in names)]
    for index, key in enumerate(REQUIREMENTS):
        cells = [CELLS[certificate.rows[index].status] for certificate in certificates]
        lines.append(key.ljust(width) + "  " + "  ".join(cell.ljust(column) for cell in cells))
    lines.append("")
    for certificate in certificates:
        lines.append(f"{certificate.runtime} ({certificate.runtime_class}): {certificate.verdict}")
        # Failures one per line; other rows grouped when they share a reason.
        groups: dict[tuple[Status, str], list[str]] = {}
        for row in certificate.rows:
            if row.status == Status.FAILED:
                lines.append(f"  {CELLS[row.status]:>4} {row.key}: {row.reason}")
            elif row.status != Status.PASSED:
                groups.setdefault((row.status, row.reason), []).append(row.key)
        for (status, reason), keys in groups.items():
            lines.append(f"  {CELLS[status]:>4} {', '.join(keys)}: {reason}")
    return lines
