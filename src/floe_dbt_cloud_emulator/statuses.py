"""A run's status codes, as dbt Cloud's API document lists them.

The document's ``List Runs`` operation (``status__in``) names them: ``1:
Queued``, ``2: Starting``, ``3: Running``, ``10: Success``, ``20: Error``,
``30: Cancelled``. The emulator keeps its own copy rather than the client's:
the two must each read the document, so that one's mistake shows in the other.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["TERMINAL_STATUSES", "RunStatus"]


class RunStatus(IntEnum):
    """The status codes of a dbt Cloud run."""

    QUEUED = 1
    STARTING = 2
    RUNNING = 3
    SUCCESS = 10
    ERROR = 20
    CANCELLED = 30

    @property
    def humanized(self) -> str:
        """The ``status_humanized`` text dbt Cloud shows for this status."""
        return self.name.capitalize()


TERMINAL_STATUSES = frozenset({RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.CANCELLED})
