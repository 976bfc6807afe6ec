"""dbt's structured events, routed to stdlib logging (REQ-087: "log all dbt output").

dbt-core fires one event per step (``MainReportVersion``, ``LogModelResult``
...) to the callbacks given to ``dbtRunner``. Each becomes one
:class:`logging.LogRecord` on the ``floe_dbt_local.events`` logger whose
``extra`` fields keep the event's structure, so that a JSON log handler or an
orchestrator can filter on them without parsing text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from floe_core.redaction import redact_text

__all__ = ["EVENT_LOGGER_NAME", "RAISED_EVENTS", "DbtEventRouter"]

EVENT_LOGGER_NAME = "floe_dbt_local.events"
# What dbt fires when it stops on an exception: the runtime raises that very
# exception (as the contract's error, dbt's as its __cause__), so logging it as
# an error too would report one failure twice, and put dbt's Python traceback
# on a console before the caller's own message. They are kept, at DEBUG.
RAISED_EVENTS = frozenset({"MainEncounteredError", "MainStackTrace"})
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


class DbtEventRouter:
    """A dbt event callback that writes each event as a structured log record.

    Every record carries, in ``extra``:

    * ``dbt_event_name``: the event type, e.g. ``LogModelResult``;
    * ``dbt_level``: dbt's own level (``debug``, ``info``, ``warn``, ``error``);
      the record's level is the same, except for :data:`RAISED_EVENTS`
      (DEBUG: the runtime raises what they report);
    * ``dbt_unique_id``: the node the event concerns, or None;
    * ``dbt_message``: dbt's human-readable message (also the record's message);
    * ``dbt_invocation_id``: the invocation the event belongs to.

    It also remembers the invocation id, so the runtime can check that the
    ``run_results.json`` it reads was written by this invocation, and the
    adapter dbt registered (name and version, never its credentials).

    Args:
        logger: Where the records go; ``floe_dbt_local.events`` by default.
        secrets: Values taken out of every message (the invocation's secret vars).
    """

    def __init__(
        self, logger: logging.Logger | None = None, *, secrets: Sequence[str] = ()
    ) -> None:
        self._logger = logger or logging.getLogger(EVENT_LOGGER_NAME)
        self._secrets = tuple(secrets)
        self.invocation_id: str | None = None
        self.adapter: tuple[str, str] | None = None

    def __call__(self, event: Any) -> None:
        """Receive one dbt ``EventMsg`` (a protobuf message)."""
        info = event.info
        self.invocation_id = info.invocation_id or self.invocation_id
        if info.name == "AdapterRegistered":
            self.adapter = (event.data.adapter_name, event.data.adapter_version.lstrip("="))
        level = (
            logging.DEBUG if info.name in RAISED_EVENTS else _LEVELS.get(info.level, logging.INFO)
        )
        # dbt fires hundreds of debug events per run; building records nobody
        # reads would be most of this callback's cost.
        if not self._logger.isEnabledFor(level):
            return
        # dbt's callbacks get its messages unmasked (its loggers mask them themselves).
        message = redact_text(info.msg, self._secrets) if self._secrets else info.msg
        node_info = getattr(event.data, "node_info", None)
        unique_id = getattr(node_info, "unique_id", "") or None
        self._logger.log(
            level,
            "%s",
            message,
            extra={
                "dbt_event_name": info.name,
                "dbt_level": info.level,
                "dbt_unique_id": unique_id,
                "dbt_message": message,
                "dbt_invocation_id": info.invocation_id,
            },
        )
