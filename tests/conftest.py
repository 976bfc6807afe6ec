"""Shared by every test package: reading a DuckDB file the way a user would, and test order.

Tests marked ``slow`` (whole kit sessions, minutes each) are collected first:
under ``-n 2`` the workers then take the long ones while the short ones fill
the gaps, instead of one worker finishing a long test alone at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

Query = Callable[[Path, str], list[tuple[Any, ...]]]


@pytest.fixture
def query() -> Query:
    """Read a DuckDB file, read-only: the runtimes release it after every invocation."""

    def run(database: Path, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first (the ``slow`` ones), otherwise in the order collected."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
