"""The hook a runtime's author implements to hand the kit a configured runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from floe_dbt_compliance.harness import RuntimeHarness


@pytest.hookspec(firstresult=True)
def pytest_floe_dbt_harness(
    name: str, project: str, tmp_path_factory: pytest.TempPathFactory
) -> RuntimeHarness | None:
    """Build the runtime ``name`` on a fresh copy of the fixture project ``project``.

    Called once per kit test that needs a runtime (each test gets its own
    copy), from a ``conftest.py`` or an installed plugin. Return ``None`` for
    runtimes you do not handle: the next implementation, then the kit's
    default (the entry point's class built with no arguments), answers.

    The harness must be on the project the kit asked for: copy it with
    ``floe_dbt_compliance.projects.copy_project(project, tmp_path_factory.mktemp(...))``.
    An implementation may leave ``project`` (or any argument) out of its
    signature, as pluggy allows, but the kit checks the returned project's
    name and refuses a harness on another project.

    Args:
        name: The ``floe.dbt`` entry-point name being certified.
        project: ``healthy``, ``failing_test``, ``sql_error`` or ``unparseable``.
        tmp_path_factory: pytest's factory for private directories.

    Returns:
        A :class:`~floe_dbt_compliance.RuntimeHarness`, or ``None``.

    Examples:
        >>> def pytest_floe_dbt_harness(name, project, tmp_path_factory):  # doctest: +SKIP
        ...     if name != "acme":
        ...         return None
        ...     copy = copy_project(project, tmp_path_factory.mktemp("acme"))
        ...     return RuntimeHarness(AcmeRuntime(token=...), copy.project_dir,
        ...                           copy.profiles_dir, copy.target,
        ...                           database_path=copy.database_path)
    """
