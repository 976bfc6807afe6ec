"""Capturing the runtimes' OpenTelemetry spans without taking over the user's tracing.

The kit adds a ``SimpleSpanProcessor`` with an in-memory exporter to the
global SDK ``TracerProvider``, installing one only when none is set. Each call
the kit makes is wrapped in a kit span: the runtime's ``floe.dbt.*`` spans of
that call share its trace id, which tells them apart from spans other threads
(an emulator's server, another test) emit at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_dbt_compliance.errors import SpansUnobservable

__all__ = ["INVOCATION_PREFIX", "CallTrace", "SpanRecorder", "span_recorder"]

INVOCATION_PREFIX = "floe.dbt."
_KIT_SPAN = "floe_dbt_compliance.call"
_lock = threading.Lock()
_recorder: SpanRecorder | None = None


@dataclass
class CallTrace:
    """The trace of one call the kit made; filled when the call returns."""

    trace_id: int = 0
    spans: list[ReadableSpan] = field(default_factory=list)

    def invocation_spans(self) -> list[ReadableSpan]:
        """The runtime's ``floe.dbt.*`` spans of this call."""
        return [span for span in self.spans if span.name.startswith(INVOCATION_PREFIX)]


class SpanRecorder:
    """Keeps every finished span of the process, queryable by trace."""

    def __init__(self, provider: TracerProvider) -> None:
        self._exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(self._exporter))
        self._tracer = provider.get_tracer("floe_dbt_compliance")

    @contextmanager
    def call(self, label: str) -> Iterator[CallTrace]:
        """Run a block in its own trace and collect that trace's spans afterwards.

        Args:
            label: What the kit is calling, recorded on the kit span.

        Yields:
            The :class:`CallTrace`, whose ``spans`` are set when the block exits.
        """
        captured = CallTrace()
        # A fresh root context: the call's trace must not join an outer one.
        with self._tracer.start_as_current_span(
            _KIT_SPAN, context=trace.set_span_in_context(trace.INVALID_SPAN)
        ) as span:
            span.set_attribute("floe_dbt_compliance.call", label)
            captured.trace_id = span.get_span_context().trace_id
            try:
                yield captured
            finally:
                captured.spans = self._spans_of(captured.trace_id)
        captured.spans = self._spans_of(captured.trace_id)

    def _spans_of(self, trace_id: int) -> list[ReadableSpan]:
        return [
            span
            for span in self._exporter.get_finished_spans()
            if span.context is not None
            and span.context.trace_id == trace_id
            and span.name != _KIT_SPAN
        ]

    def all_spans(self) -> list[ReadableSpan]:
        """Every span finished since the recorder was installed."""
        return list(self._exporter.get_finished_spans())

    def clear(self) -> None:
        """Forget the spans collected so far (they grow with every call)."""
        self._exporter.clear()


def span_recorder() -> SpanRecorder:
    """Return the process's recorder, installing it on first use.

    Raises:
        SpansUnobservable: The user set a tracer provider that is not the SDK's,
            so the kit cannot see the spans.
    """
    global _recorder
    with _lock:
        if _recorder is None:
            provider = trace.get_tracer_provider()
            if not isinstance(provider, TracerProvider):
                trace.set_tracer_provider(TracerProvider())
                provider = trace.get_tracer_provider()
            if not isinstance(provider, TracerProvider):
                raise SpansUnobservable(
                    f"the global tracer provider is a {type(provider).__name__}, not the "
                    "OpenTelemetry SDK's TracerProvider, so the kit cannot capture spans"
                )
            _recorder = SpanRecorder(provider)
        return _recorder
