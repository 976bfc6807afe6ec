from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

LINEAGE_PROJECT = Path(__file__).parent / "lineage_project"


@pytest.fixture(scope="session")
def _session_span_exporter() -> InMemorySpanExporter:
    # A provider can be set only once per process, and the kit may have set one:
    # add an exporter to the global SDK provider instead of replacing it.
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "the global tracer provider is not the SDK's"
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def span_exporter(_session_span_exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    """The global provider's in-memory exporter, emptied for this test."""
    _session_span_exporter.clear()
    return _session_span_exporter


@pytest.fixture(scope="session")
def lineage_manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The parsed manifest of ``lineage_project`` (a seed, a source, an ephemeral model, groups)."""
    from dbt.cli.main import dbtRunner

    project_dir = tmp_path_factory.mktemp("lineage") / "lineage"
    shutil.copytree(LINEAGE_PROJECT, project_dir)
    result = dbtRunner().invoke(
        ["parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--quiet"]
    )
    assert result.success, result.exception
    manifest: dict[str, Any] = json.loads(
        (project_dir / "target" / "manifest.json").read_text(encoding="utf-8")
    )
    return manifest
