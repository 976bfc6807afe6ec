"""The runtime's log records as OpenTelemetry exports them, for the secret checks.

A record reaches an OTel backend through the logging bridge (the SDK's
``LoggingHandler``), which exports its message *and* every ``extra`` field
as attributes (:mod:`floe_core.events`: node id, status, dbt's message ...).
The kit puts the same bridge on the root logger during a recorded call, into
an in-memory exporter of its own provider (the user's logger provider, if
any, is not touched), so that ``secrets.logs`` reads what a backend would
receive: a secret in a structured attribute is a leak as much as one in a
message.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs import export as logs_export

__all__ = ["exported_logs"]

# Renamed in opentelemetry-sdk 1.37 (the old name is a deprecated alias there); the kit
# supports older SDKs too.
_InMemory: Any = getattr(logs_export, "InMemoryLogRecordExporter", None)
if _InMemory is None:  # pragma: no cover - opentelemetry-sdk < 1.37
    _InMemory = logs_export.InMemoryLogExporter


def _line(exported: Any) -> str:
    """``<logger>: <body> <attributes as JSON>``, what one exported record holds."""
    record = exported.log_record
    scope = getattr(exported, "instrumentation_scope", None)
    attributes = dict(record.attributes or {})
    return f"{getattr(scope, 'name', '?')}: {record.body} {json.dumps(attributes, default=str)}"


@contextmanager
def exported_logs(into: list[str]) -> Iterator[None]:
    """Export every log record of the block (root logger, every level) into ``into``."""
    provider = LoggerProvider()
    exporter = _InMemory()
    provider.add_log_record_processor(logs_export.SimpleLogRecordProcessor(exporter))
    with warnings.catch_warnings():
        # The SDK's bridge is deprecated for opentelemetry-instrumentation-logging's,
        # whose releases pin a semantic-conventions the SDK's do not.
        warnings.simplefilter("ignore", DeprecationWarning)
        handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        into.extend(_line(exported) for exported in exporter.get_finished_logs())
        provider.shutdown()
