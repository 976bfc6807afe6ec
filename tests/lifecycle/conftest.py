"""Fixtures for the lifecycle capability's tests: copies of examples/jaffle_shop, the runtimes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from jaffle_project import copy_jaffle

from floe_core.lifecycle import DBTLifecycle
from floe_dbt_local import LocalDBTPlugin

RuntimeFactory = Callable[[ProjectCopy, pytest.FixtureRequest], DBTLifecycle]


def _local(copy: ProjectCopy, request: pytest.FixtureRequest) -> DBTLifecycle:
    del copy, request  # dbt-core in this process needs nothing but the paths of each call
    return LocalDBTPlugin(lock_timeout_seconds=300)


# The runtimes the end-to-end bring-up is compared through, by name. A runtime
# joins by adding its factory here: it gets the fresh copy of the project (and
# the fixture request, for servers it needs, e.g. the dbt Cloud emulator started
# on that copy) and returns a runtime that declares DBTLifecycle, whose calls
# get the copy's project_dir, profiles_dir and target. `cloud` joins once it
# implements the capability; test-lowest runs this directory with the `local`
# extra only, so a factory imports its runtime inside itself.
LIFECYCLE_RUNTIMES: dict[str, RuntimeFactory] = {"local": _local}


@pytest.fixture
def jaffle(tmp_path: Path) -> ProjectCopy:
    """A fresh copy of ``examples/jaffle_shop`` whose DuckDB file does not exist yet."""
    return copy_jaffle(tmp_path)


@pytest.fixture
def runtime() -> LocalDBTPlugin:
    return LocalDBTPlugin(lock_timeout_seconds=300)


@pytest.fixture(params=sorted(LIFECYCLE_RUNTIMES))
def lifecycle_runtime(
    request: pytest.FixtureRequest, jaffle: ProjectCopy
) -> tuple[str, DBTLifecycle]:
    """``(name, runtime)`` for each entry of :data:`LIFECYCLE_RUNTIMES`, built for ``jaffle``."""
    name: str = request.param
    return name, LIFECYCLE_RUNTIMES[name](jaffle, request)
