"""Fixtures shared by every test package: reading a DuckDB file the way a user would."""

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
