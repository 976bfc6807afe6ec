"""The hooks that hand the kit a runtime: one for the user, one for packages.

The kit asks, for every fresh project copy a check needs:

1. ``pytest_floe_dbt_harness``, the **user's** hook: implemented in a
   ``conftest.py`` (or a module given with ``-p``). The first non-``None``
   answer wins, in pluggy's order.
2. ``pytest_floe_dbt_package_harness``, the **packages'** hook: implemented
   by a plugin an installed distribution registers under ``pytest11``
   (``floe_dbt_cloud.kit_harness`` serves ``cloud`` on the bundled emulator
   this way). Consulted only when no user harness answered. Two packages
   answering for the same runtime is an error that names both: the kit does
   not pick one silently.
3. The kit's default: the entry point's class built with no arguments.

So the user's own conftest always wins over any harness a package ships,
whatever ``tryfirst``/``trylast`` say and in whatever order plugins were
installed: the two hooks are called in that order, and an implementation of
the user's hook that an installed distribution registered is moved to the
packages' turn (with a warning).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from floe_core.plugin_interfaces import DBTPlugin
    from floe_dbt_compliance.harness import RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy

USER_HOOK = "pytest_floe_dbt_harness"
PACKAGE_HOOK = "pytest_floe_dbt_package_harness"


@pytest.hookspec(firstresult=True)
def pytest_floe_dbt_harness(
    name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
) -> DBTPlugin | RuntimeHarness | None:
    """Build the runtime ``name`` on ``project``, the kit's fresh copy of a dbt project.

    The user's hook, for a ``conftest.py``. Called once per kit check that
    needs a runtime (each gets its own copy), and again when the kit needs a
    second instance of a runtime returned bare. ``project`` is any dbt project
    (a fixture project of the kit, or one it generated): build on it, do not
    copy another. An implementation may leave arguments out of its signature,
    as pluggy allows.

    Args:
        name: The ``floe.dbt`` entry-point name being certified.
        project: The copy: ``project_dir``, ``profiles_dir``, ``target``,
            ``name`` (its dbt project name) and ``database_path`` (the DuckDB
            file its profile writes to).
        tmp_path_factory: pytest's factory for private directories (a cache root ...).

    Returns:
        The runtime built for ``project`` (the kit wraps it with defaults); or
        a :class:`~floe_dbt_compliance.RuntimeHarness` made with
        :meth:`RuntimeHarness.for_project
        <floe_dbt_compliance.harness.RuntimeHarness.for_project>` when the kit
        needs more (a second-instance factory, a remote-call counter, a cache
        root, secrets, a ``close``); or ``None`` for runtimes you do not build.

    Examples:
        >>> def pytest_floe_dbt_harness(name, project, tmp_path_factory):  # doctest: +SKIP
        ...     if name != "acme":
        ...         return None
        ...     return AcmeRuntime(workspace="ci")
    """


@pytest.hookspec
def pytest_floe_dbt_package_harness(
    name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
) -> DBTPlugin | RuntimeHarness | None:
    """Like :func:`pytest_floe_dbt_harness`, for a harness shipped in an installed package.

    Implement it in the module your distribution registers under the
    ``pytest11`` entry-point group. The kit consults it only when no
    ``pytest_floe_dbt_harness`` (the user's conftest) answered, so a user can
    always replace your harness with their own. Return ``None`` for runtimes
    your package does not build: if two packages answer for the same runtime
    the kit fails the check and names both.

    Args:
        name: The ``floe.dbt`` entry-point name being certified.
        project: The kit's fresh copy of the dbt project.
        tmp_path_factory: pytest's factory for private directories.

    Returns:
        A runtime, a :class:`~floe_dbt_compliance.RuntimeHarness`, or ``None``.
    """
