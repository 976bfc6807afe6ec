"""Row statuses as typed values, from the check that decides them to the certificate.

A check that does not apply (a capability the runtime lacks) or cannot run
(a runtime that implements nothing) raises :class:`KitSkip` with its
:class:`Status`; the kit's ``pytest_runtest_makereport`` puts that status on
the report (:func:`status_of`), and the certificate reads it there. Nothing
is encoded in, or parsed back from, the skip message.
"""

from __future__ import annotations

from enum import Enum
from typing import NoReturn

import pytest

__all__ = [
    "FINDINGS_ATTRIBUTE",
    "REASON_ATTRIBUTE",
    "STATUS_ATTRIBUTE",
    "KitSkip",
    "Status",
    "not_applicable",
    "not_implemented",
    "status_of",
]

STATUS_ATTRIBUTE = "floe_dbt_status"
REASON_ATTRIBUTE = "floe_dbt_reason"
#: Where the kit puts a disagreement's findings on a report (JSON text), for the certificate.
FINDINGS_ATTRIBUTE = "floe_dbt_findings"


class Status(str, Enum):
    """A certificate row's status (worst first in :data:`RANK`)."""

    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_IMPLEMENTED = "not implemented"
    NOT_RUN = "not run"
    PASSED = "passed"
    NOT_APPLICABLE = "n/a"

    @property
    def rank(self) -> int:
        """Lower is worse: a row takes the worst status of its tests."""
        return list(Status).index(self)


class KitSkip(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A skip that carries the row status it means, and its reason.

    An outcome, not a :class:`~floe_dbt_compliance.errors.KitError`: like every
    pytest skip it derives from ``BaseException``, so the ``except Exception``
    that records what a runtime raised never swallows it.

    Args:
        status: :attr:`Status.NOT_APPLICABLE`, :attr:`Status.NOT_IMPLEMENTED`
            or :attr:`Status.SKIPPED`.
        reason: Why, for a person reading the certificate.
    """

    # As pytest's own Skipped: a skip prints as "KitSkip: reason", not with the module path.
    __module__ = "builtins"

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(msg=reason, pytrace=False)
        self.status = status
        self.reason = reason


def not_applicable(reason: str) -> NoReturn:
    """End the check in progress as *n/a* with ``reason`` (a capability the runtime lacks)."""
    raise KitSkip(Status.NOT_APPLICABLE, reason)


def not_implemented(reason: str) -> NoReturn:
    """End the check in progress as *not implemented* (the runtime is a placeholder)."""
    raise KitSkip(Status.NOT_IMPLEMENTED, reason)


def status_of(report: pytest.TestReport) -> Status:
    """The status a report stands for: the typed one the kit put on it, else pytest's outcome."""
    typed = getattr(report, STATUS_ATTRIBUTE, None)
    if typed is not None:
        return Status(typed)
    return Status(report.outcome)
