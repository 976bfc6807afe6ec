"""Fixtures for the local runtime's tests: project copies, DuckDB reads, captured spans."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from floe_dbt_compliance.spans import span_recorder
from opentelemetry.sdk.trace import ReadableSpan

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


@pytest.fixture
def tables(query: Callable[[Path, str], list[tuple[Any, ...]]]) -> Callable[[Path], set[str]]:
    """The table and view names in a DuckDB file."""

    def names(database: Path) -> set[str]:
        return {
            row[0] for row in query(database, "select table_name from information_schema.tables")
        }

    return names


@pytest.fixture
def spans() -> Iterator[Callable[[], list[ReadableSpan]]]:
    """The ``floe.dbt.*`` spans finished since the test started.

    The kit's recorder adds its processor to the global SDK provider (installing
    one only when none is set), so these tests never replace a provider.
    """
    try:
        recorder = span_recorder()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    recorder.clear()

    def finished() -> list[ReadableSpan]:
        return [span for span in recorder.all_spans() if span.name.startswith("floe.dbt.")]

    yield finished
    recorder.clear()
