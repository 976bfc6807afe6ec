"""Fixtures for the lifecycle capability's tests: fresh copies of the jaffle project."""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from jaffle_project import copy_jaffle

from floe_dbt_local import LocalDBTPlugin


@pytest.fixture
def jaffle(tmp_path: Path) -> ProjectCopy:
    """A fresh copy of ``jaffle/`` whose DuckDB file does not exist yet."""
    return copy_jaffle(tmp_path)


@pytest.fixture
def runtime() -> LocalDBTPlugin:
    return LocalDBTPlugin(lock_timeout_seconds=300)
