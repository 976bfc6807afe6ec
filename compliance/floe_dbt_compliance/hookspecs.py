"""The hook that hands the kit a runtime: ``pytest_floe_dbt_harness``.

For every fresh project copy a check needs, the kit asks this one hook
(``firstresult``: the first answer that is not ``None`` wins, in pluggy's
order), and builds the entry point's class with no arguments when nobody
answered. Who answers first is pluggy's ordering, nothing the kit adds:

* a **user's** ``conftest.py`` (or a module given with ``-p``) implements it
  plainly;
* a **package** that ships a harness implements it in the module its
  distribution registers under ``pytest11``, marked
  ``@pytest.hookimpl(trylast=True)`` (``floe_dbt_cloud_emulator.kit_harness`` serves
  ``cloud`` on the bundled emulator this way).

pluggy calls ``trylast`` implementations after every plain one, so the
user's conftest always wins over a package's harness. Between two packages
that both build a runtime, the one registered last is asked first; a user
chooses by answering in their conftest.

``pytest_floe_dbt_package_harness``, the packages' hook of earlier releases,
is retired: the kit no longer calls it. It stays declared only so that a
plugin still implementing it is named, with the fix, instead of failing with
pluggy's "unknown hook": pytest warns at registration, and
``--floe-dbt-compliance`` refuses to start (a runtime silently built another
way would be certified on the wrong harness).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from floe_core.plugin_interfaces import DBTPlugin
    from floe_dbt_compliance.harness import RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy

__all__ = ["HOOK", "RETIRED_HOOK", "RETIRED_HOOK_FIX"]

HOOK = "pytest_floe_dbt_harness"
RETIRED_HOOK = "pytest_floe_dbt_package_harness"
RETIRED_HOOK_FIX = (
    f"floe-dbt no longer calls {RETIRED_HOOK}: rename it {HOOK} and mark it "
    "@pytest.hookimpl(trylast=True) (a user's conftest.py still wins over it)"
)


@pytest.hookspec(firstresult=True)
def pytest_floe_dbt_harness(
    name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
) -> DBTPlugin | RuntimeHarness | None:
    """Build the runtime ``name`` on ``project``, the kit's fresh copy of a dbt project.

    Called once per kit check that needs a runtime (each gets its own copy),
    and again when the kit needs a second instance of a runtime returned bare.
    ``project`` is any dbt project (a fixture project of the kit, or one it
    generated): build on it, do not copy another. An implementation may leave
    arguments out of its signature, as pluggy allows. In a package, mark it
    ``@pytest.hookimpl(trylast=True)`` so that a user's conftest wins.

    Args:
        name: The ``floe.dbt`` entry-point name being certified.
        project: The copy: ``project_dir``, ``profiles_dir``, ``target``,
            ``name`` (its dbt project name), ``warehouse`` (``duckdb`` or
            ``postgres``, as ``--floe-dbt-warehouse`` chose), ``database_path``
            (the DuckDB file its profile writes to) and ``schema`` (its scratch
            schema on PostgreSQL). Run the project with the profile as it is:
            the kit reads that place.
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


@pytest.hookspec(warn_on_impl=pytest.PytestConfigWarning(RETIRED_HOOK_FIX))
def pytest_floe_dbt_package_harness(
    name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
) -> DBTPlugin | RuntimeHarness | None:
    """Retired: never called. Implement :func:`pytest_floe_dbt_harness` with ``trylast``."""
