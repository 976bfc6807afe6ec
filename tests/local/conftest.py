"""Fixtures for the local runtime's tests: project copies, DuckDB reads, captured spans."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_dbt_local import LocalDBTPlugin


@pytest.fixture
def runtime() -> LocalDBTPlugin:
    return LocalDBTPlugin(lock_timeout_seconds=300)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], ProjectCopy]:
    """Copy a fixture project into this test's own directory."""

    def make(name: str) -> ProjectCopy:
        return copy_project(name, tmp_path)

    return make


Query = Callable[[Path, str], list[tuple[Any, ...]]]


@pytest.fixture
def query() -> Query:
    """Read a DuckDB file, read-only: the runtime releases it after every invocation."""

    def run(database: Path, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    return run


@pytest.fixture
def tables(query: Query) -> Callable[[Path], set[str]]:
    """The table and view names in a DuckDB file."""

    def names(database: Path) -> set[str]:
        return {
            row[0] for row in query(database, "select table_name from information_schema.tables")
        }

    return names


@pytest.fixture(scope="session")
def _session_exporter() -> InMemorySpanExporter:
    # Add a processor to whatever SDK provider is already set; install one only
    # when none is (a provider cannot be replaced once set).
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.skip("a non-SDK tracer provider is installed; spans cannot be captured")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_session_exporter: InMemorySpanExporter) -> Iterator[Callable[[], list[ReadableSpan]]]:
    """The ``floe.dbt.*`` spans finished since the test started."""
    _session_exporter.clear()

    def finished() -> list[ReadableSpan]:
        return [
            span
            for span in _session_exporter.get_finished_spans()
            if span.name.startswith("floe.dbt.")
        ]

    yield finished
    _session_exporter.clear()
