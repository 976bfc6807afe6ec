"""dbt's structured events, routed to stdlib logging (REQ-087: "log all dbt output").

dbt-core fires one event per step (``MainReportVersion``, ``LogModelResult``
...) to the callbacks given to ``dbtRunner``. Each becomes one
:class:`logging.LogRecord` on the ``floe_dbt_local.events`` logger whose
``extra`` fields keep the event's structure (:class:`floe_core.events.DbtEvent`:
node id, status, timing), so that the ``floe`` command renders them as dbt's
console does, OpenTelemetry's logging bridge turns them into log records
correlated with the invocation's span, and a JSON log handler or an
orchestrator can filter on them without parsing text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context

from floe_core.events import DBT_LEVELS, DbtEvent, log_dbt_event
from floe_core.redaction import redact_text

__all__ = [
    "EVENT_LOGGER_NAME",
    "PARSE_ONLY_SUMMARY",
    "RAISED_EVENTS",
    "REPEATED_EVENTS",
    "DbtEventRouter",
]

EVENT_LOGGER_NAME = "floe_dbt_local.events"
RUNTIME_TYPE = "local"
# What dbt fires when it stops on an exception: the runtime raises that very
# exception (as the contract's error, dbt's as its __cause__), so logging it as
# an error too would report one failure twice, and put dbt's Python traceback
# on a console before the caller's own message. They are kept, at DEBUG.
RAISED_EVENTS = frozenset({"MainEncounteredError", "MainStackTrace"})
# When the runtime parses first (to reuse the manifest: floe_dbt_local.reuse),
# two dbt invocations make one call, and each fires what dbt fires about an
# invocation. Kept at DEBUG, so a console shows each once, in dbt's order:
# the invocation's banner (the parse's comes first) ...
REPEATED_EVENTS = frozenset({"MainReportVersion", "AdapterRegistered"})
# ... and the deprecation summary, the invocation's (dbt keeps deprecations
# process-wide, so it reports the parse's too, and any fired while running).
PARSE_ONLY_SUMMARY = frozenset({"DeprecationsSummary"})


class DbtEventRouter:
    """A dbt event callback that writes each event as a structured log record.

    Every record carries, in ``extra``, the fields of
    :class:`floe_core.events.DbtEvent`:

    * ``dbt_event_name``: the event type, e.g. ``LogModelResult``;
    * ``dbt_level``: dbt's own level (``debug``, ``info``, ``warn``, ``error``);
      the record's level is the same, except for :data:`RAISED_EVENTS`
      (DEBUG: the runtime raises what they report);
    * ``dbt_unique_id``: the node the event concerns, or None;
    * ``dbt_message``: dbt's human-readable message (also the record's message);
    * ``dbt_invocation_id``: the invocation the event belongs to;
    * on node events, ``dbt_node_status`` and ``dbt_node_started_at``; on
      result events also ``dbt_execution_time`` (seconds) and
      ``dbt_node_finished_at``;
    * ``floe_dbt_runtime``: ``local``.

    Records are created inside the OpenTelemetry context that was current
    when the router was made (the invocation's span), so a logging bridge
    correlates them with it whichever of dbt's threads fired the event.

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
        self._context = otel_context.get_current()
        self._parsed = False
        self.invocation_id: str | None = None
        self.adapter: tuple[str, str] | None = None

    def __call__(self, event: Any) -> None:
        """Receive one dbt ``EventMsg`` (a protobuf message)."""
        demoted = RAISED_EVENTS | REPEATED_EVENTS if self._parsed else RAISED_EVENTS
        self._route(event, demoted=demoted)

    def parse_callback(self, event: Any) -> None:
        """Receive an event of the parse the runtime runs before the invocation.

        The invocation's own banner (:data:`REPEATED_EVENTS`) then goes to
        DEBUG, as does the parse's deprecation summary.
        """
        self._parsed = True
        self._route(event, demoted=RAISED_EVENTS | PARSE_ONLY_SUMMARY)

    def _route(self, event: Any, *, demoted: frozenset[str]) -> None:
        info = event.info
        self.invocation_id = info.invocation_id or self.invocation_id
        if info.name == "AdapterRegistered":
            self.adapter = (event.data.adapter_name, event.data.adapter_version.lstrip("="))
        level = logging.DEBUG if info.name in demoted else DBT_LEVELS.get(info.level, logging.INFO)
        # dbt fires hundreds of debug events per run; building records nobody
        # reads would be most of this callback's cost.
        if not self._logger.isEnabledFor(level):
            return
        # dbt's callbacks get its messages unmasked (its loggers mask them themselves).
        message = redact_text(info.msg, self._secrets) if self._secrets else info.msg
        node = getattr(event.data, "node_info", None)
        execution_time = getattr(event.data, "execution_time", None)
        record = DbtEvent(
            name=info.name,
            level=info.level,
            message=message,
            unique_id=getattr(node, "unique_id", "") or None,
            invocation_id=info.invocation_id,
            node_status=getattr(node, "node_status", "") or None,
            execution_time=float(execution_time) if execution_time else None,
            node_started_at=getattr(node, "node_started_at", "") or None,
            node_finished_at=getattr(node, "node_finished_at", "") or None,
            runtime=RUNTIME_TYPE,
        )
        log_dbt_event(self._logger, record, level=level, context=self._context)
