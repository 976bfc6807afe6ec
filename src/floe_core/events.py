"""dbt's events as structured log records: one vocabulary for every runtime, the CLI and OTel.

A runtime reports what dbt is doing, as dbt reports it, by logging one stdlib
:class:`logging.LogRecord` per dbt event, whose ``extra`` fields are the
:class:`DbtEvent` below (:func:`log_dbt_event` does it). Nothing else is
needed, and the seven methods of the contract stay as they are:

* the ``floe`` command renders the records as dbt's console does (one line
  per node, dbt's colours) and ``--log-level`` / ``--quiet`` choose which;
* OpenTelemetry's logging bridge turns each record into an OTel log record
  whose attributes are these fields, with the trace and span ids of the
  invocation's ``floe.dbt.<command>`` span: :func:`log_dbt_event` makes
  that span's context current while the record is created, whichever thread
  dbt fired the event on (dbt runs nodes on its own threads, where the
  caller's context is not current);
* a JSON log handler, an orchestrator or a test filters on the fields
  without parsing text.

Records are ordinary ``logging`` records: a runtime that logs nothing is
still compliant, and its commands simply print no progress.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context

__all__ = [
    "DBT_LEVELS",
    "EVENT_FIELDS",
    "DbtEvent",
    "event_of",
    "log_dbt_event",
]

#: dbt's level names and the ``logging`` levels their records get.
DBT_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
#: The record attributes (``extra`` keys) of a dbt event, by :class:`DbtEvent` field.
EVENT_FIELDS = {
    "name": "dbt_event_name",
    "level": "dbt_level",
    "message": "dbt_message",
    "unique_id": "dbt_unique_id",
    "invocation_id": "dbt_invocation_id",
    "node_status": "dbt_node_status",
    "execution_time": "dbt_execution_time",
    "node_started_at": "dbt_node_started_at",
    "node_finished_at": "dbt_node_finished_at",
    "runtime": "floe_dbt_runtime",
}
# Always present on a record, None or not (readers test them without getattr defaults).
_ALWAYS = frozenset({"name", "level", "message", "unique_id", "invocation_id"})


@dataclass(frozen=True)
class DbtEvent:
    """One dbt event, as every runtime reports it.

    Attributes:
        name: dbt's event type (``LogStartLine``, ``LogModelResult`` ...), or
            for a runtime that only sees dbt's text (a remote log), a name of
            its own for the line (e.g. ``StepLogLine``).
        level: dbt's level: ``debug``, ``info``, ``warn`` or ``error``.
        message: What dbt's console prints for it, without colour codes.
        unique_id: The node it concerns, e.g. ``model.shop.orders``, or None.
        invocation_id: dbt's invocation id (or the remote run's id), or None.
        node_status: The node's status as dbt names it (``started``,
            ``success``, ``error``, ``pass``, ``fail``, ``warn``, ``skipped``
            ...), on node events.
        execution_time: Seconds the node took, on result events.
        node_started_at: When the node started (ISO-8601), on node events.
        node_finished_at: When it finished (ISO-8601), on result events.
        runtime: The runtime type that reported it (``local``, ``cloud`` ...).
    """

    name: str
    level: str
    message: str
    unique_id: str | None = None
    invocation_id: str | None = None
    node_status: str | None = None
    execution_time: float | None = None
    node_started_at: str | None = None
    node_finished_at: str | None = None
    runtime: str | None = None

    def extra(self) -> dict[str, Any]:
        """The record's ``extra``: every field that has a value (and the five always there)."""
        return {
            attribute: getattr(self, field)
            for field, attribute in EVENT_FIELDS.items()
            if field in _ALWAYS or getattr(self, field) is not None
        }

    @property
    def logging_level(self) -> int:
        """The ``logging`` level of dbt's level (INFO for a name dbt does not use)."""
        return DBT_LEVELS.get(self.level, logging.INFO)


def log_dbt_event(
    logger: logging.Logger,
    event: DbtEvent,
    *,
    level: int | None = None,
    context: otel_context.Context | None = None,
) -> None:
    """Log ``event`` on ``logger``, inside the OpenTelemetry ``context`` of its invocation.

    Args:
        logger: The runtime's event logger.
        event: The event.
        level: The record's level; dbt's level by default.
        context: The context of the invocation's span (taken with
            ``opentelemetry.context.get_current()`` inside the span); the
            current one when None.
    """
    level = event.logging_level if level is None else level
    if not logger.isEnabledFor(level):
        return
    token = otel_context.attach(context) if context is not None else None
    try:
        logger.log(level, "%s", event.message, extra=event.extra())
    finally:
        if token is not None:
            otel_context.detach(token)


def event_of(record: logging.LogRecord) -> DbtEvent | None:
    """The :class:`DbtEvent` a record carries, or None for any other record."""
    values = vars(record)
    if not isinstance(values.get(EVENT_FIELDS["name"]), str):
        return None
    fields: dict[str, Any] = {
        field: values.get(attribute) for field, attribute in EVENT_FIELDS.items()
    }
    if not isinstance(fields["message"], str):
        fields["message"] = record.getMessage()
    if not isinstance(fields["level"], str):
        fields["level"] = record.levelname.lower().replace("warning", "warn")
    return DbtEvent(**fields)
