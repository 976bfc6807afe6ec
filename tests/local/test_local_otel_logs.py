"""dbt's events as OpenTelemetry log records, in the trace of the invocation's span (REQ-087).

The runtime depends on opentelemetry-api only: it logs stdlib records inside
its span's context; the application's logging bridge (here the SDK's
``LoggingHandler`` into an in-memory exporter) makes them OTel log records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.trace import ReadableSpan

from floe_dbt_local import EVENT_LOGGER_NAME, LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
def otel_logs(
    otel_logs_of: Callable[[str], InMemoryLogRecordExporter],
) -> InMemoryLogRecordExporter:
    """The SDK's logging bridge on the runtime's event logger, into an in-memory exporter."""
    return otel_logs_of(EVENT_LOGGER_NAME)


def _attributes(record: Any) -> dict[str, Any]:
    return dict(record.log_record.attributes or {})


def test_dbt_events_are_otel_log_records_in_the_invocations_trace(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    spans: Callable[[], list[ReadableSpan]],
    otel_logs: InMemoryLogRecordExporter,
) -> None:
    copy = project("sql_error")
    result = runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)
    assert not result.success

    (span,) = spans()
    assert span.name == "floe.dbt.run"
    assert span.context is not None
    records = otel_logs.get_finished_logs()
    assert records, "no OTel log record was exported"
    # Every record, whichever of dbt's threads fired it, is in the run's trace, under its span.
    assert {(r.log_record.trace_id, r.log_record.span_id) for r in records} == {
        (span.context.trace_id, span.context.span_id)
    }
    results = {
        attributes["dbt_unique_id"]: attributes
        for attributes in map(_attributes, records)
        if attributes["dbt_event_name"] == "LogModelResult"
    }
    assert set(results) == {
        "model.sql_error.broken",
        "model.sql_error.independent",
    }  # downstream is skipped: no result event of its own
    broken = results["model.sql_error.broken"]
    assert broken["dbt_node_status"] == "error"
    assert broken["dbt_level"] == "error"
    assert broken["floe_dbt_runtime"] == "local"
    assert broken["dbt_invocation_id"] == result.metadata["invocation_id"]
    assert results["model.sql_error.independent"]["dbt_node_status"] == "success"
    for attributes in results.values():
        assert isinstance(attributes["dbt_execution_time"], float)
        assert attributes["dbt_execution_time"] > 0
        assert attributes["dbt_node_started_at"] <= attributes["dbt_node_finished_at"]
    (error,) = [
        r
        for r in records
        if _attributes(r)["dbt_unique_id"] == "model.sql_error.broken"
        and _attributes(r)["dbt_event_name"] == "LogModelResult"
    ]
    assert error.log_record.severity_text == "ERROR"
    assert "broken" in str(error.log_record.body)
