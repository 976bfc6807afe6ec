"""Fixtures for the cloud runtime's tests: fake time, emulators on loopback, span capture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloud_helpers import FakeTime, PacedSleep, Served, StubExecutor, UtcClock
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_dbt_cloud_emulator import (
    IN_PROCESS_BASE_URL,
    DbtCloudEmulator,
    EmulatedProject,
    serve_emulator,
)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def clock() -> UtcClock:
    """The artifact cache's wall clock, at :data:`cloud_helpers.T0` until moved."""
    return UtcClock()


@pytest.fixture
def paced_sleep() -> PacedSleep:
    return PacedSleep()


# -- spans ------------------------------------------------------------------


@pytest.fixture(scope="session")
def _cloud_span_exporter() -> InMemorySpanExporter:
    # Add a processor to whatever SDK provider is set; install one only when none is.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        pytest.skip("a non-SDK tracer provider is installed; spans cannot be captured")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def cloud_spans(
    _cloud_span_exporter: InMemorySpanExporter,
) -> Iterator[Callable[[], list[ReadableSpan]]]:
    """The ``floe.dbt.*`` spans finished since the test started."""
    _cloud_span_exporter.clear()

    def finished() -> list[ReadableSpan]:
        return [
            s for s in _cloud_span_exporter.get_finished_spans() if s.name.startswith("floe.dbt.")
        ]

    yield finished
    _cloud_span_exporter.clear()


# -- emulator ---------------------------------------------------------------


@pytest.fixture
def stub_project(tmp_path: Path) -> ProjectCopy:
    return copy_project("healthy", tmp_path / "stub")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start an emulator for a fixture project on 127.0.0.1; everything stops after the test."""
    stack: list[Any] = []
    served: list[Served] = []

    def start(name: str = "healthy", **emulator_options: Any) -> Served:
        copy = copy_project(name, tmp_path / f"p{len(stack)}")
        emulator = DbtCloudEmulator(**emulator_options)
        context = serve_emulator(emulator)
        server = context.__enter__()
        stack.append((emulator, context))
        project = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
        served.append(Served(emulator, server, project, copy, tmp_path / "cache"))
        return served[-1]

    yield start
    for plugin in (plugin for each in served for plugin in each.built):
        plugin.close()
    for emulator, context in reversed(stack):
        context.__exit__(None, None, None)
        emulator.close()
    # Every answer the emulators gave held to dbt Cloud's API document.
    assert [e.api_violations for e, _ in stack] == [[] for _ in stack]


@pytest.fixture
def stub_emulator() -> Iterator[DbtCloudEmulator]:
    """An in-process emulator (account 7, token ``t0k3n``) whose runs execute no dbt."""
    with DbtCloudEmulator(account_id=7, token="t0k3n", executor=StubExecutor()) as emulator:
        yield emulator
    # Every answer it gave held to dbt Cloud's API document.
    assert emulator.api_violations == []


@pytest.fixture
def stub_served(stub_emulator: DbtCloudEmulator, stub_project: ProjectCopy) -> EmulatedProject:
    """The stub project, served by :func:`stub_emulator`."""
    return stub_emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)


@pytest.fixture
def stub_api(stub_emulator: DbtCloudEmulator) -> Iterator[httpx.Client]:
    """An HTTP client onto :func:`stub_emulator`'s account, in-process."""
    with httpx.Client(
        base_url=f"{IN_PROCESS_BASE_URL}/accounts/7/",
        transport=stub_emulator.transport(),
        headers={"Authorization": "Token t0k3n"},
    ) as client:
        yield client
