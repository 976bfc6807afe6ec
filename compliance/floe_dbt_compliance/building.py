"""How the kit gets a runtime for a project: one hook, then the entry point's class.

:func:`build_harness` asks ``pytest_floe_dbt_harness`` (see
:mod:`floe_dbt_compliance.hookspecs`: the first answer in pluggy's order
wins, so a user's conftest beats a package's ``trylast`` harness); when
nobody answers, it builds the entry point's class with no arguments.

An answer is a runtime (the kit wraps it, and asks the hook again for a
second instance) or a :class:`~floe_dbt_compliance.harness.RuntimeHarness`.

A runtime nobody can build is an error that says which constructor arguments
it needs and how to write the hook; when the user did not name it
(``--floe-dbt-runtime``), the kit certifies the others and reports this one
as skipped, with the reason, instead of failing the session.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.plugin_registry import PluginRegistry
from floe_dbt_compliance.errors import HarnessError, RuntimeNotBuildable
from floe_dbt_compliance.harness import RuntimeHarness, close_harness
from floe_dbt_compliance.hookspecs import HOOK, RETIRED_HOOK
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from floe_dbt_compliance.warehouse import Warehouse

__all__ = [
    "build_harness",
    "default_harness",
    "early_package_harnesses",
    "required_arguments",
    "retired_hook_plugins",
]

GUIDE = "the floe-dbt guide 'Certifying a runtime'"


def required_arguments(runtime_cls: type[Any]) -> list[str] | None:
    """The constructor parameters without a default, or ``None`` when it needs none."""
    try:
        signature = inspect.signature(runtime_cls)
    except (TypeError, ValueError):
        return None  # a signature inspect cannot read: building it will tell
    try:
        signature.bind()
    except TypeError:
        return [
            parameter.name
            for parameter in signature.parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
    return None


def _hook_snippet(name: str, runtime_cls: type[Any], needs: list[str]) -> str:
    top = runtime_cls.__qualname__.split(".")[0]
    arguments = ", ".join(f"{argument}=..." for argument in needs)
    return (
        "\n\n    # conftest.py\n"
        "    def pytest_floe_dbt_harness(name, project, tmp_path_factory):\n"
        f"        if name != {name!r}:\n"
        "            return None\n"
        f"        from {runtime_cls.__module__} import {top}\n\n"
        f"        return {runtime_cls.__qualname__}({arguments})\n\n"
    )


def _class_path(runtime_cls: type[Any]) -> str:
    return f"{runtime_cls.__module__}:{runtime_cls.__qualname__}"


def default_harness(name: str, project: ProjectCopy) -> RuntimeHarness:
    """Build the entry point's class with no arguments, on ``project``.

    Second instances come from ``from_config(None, None, **options)``.

    Raises:
        RuntimeNotBuildable: The constructor needs arguments, or building it
            raised ``DBTConfigurationError`` (a missing setting).
        PluginLoadError: The entry point does not load.
    """
    runtime_cls: type[DBTPlugin] = PluginRegistry().load_class("dbt", name)
    needs = required_arguments(runtime_cls)
    where = f"runtime {name!r} ({_class_path(runtime_cls)})"
    if needs is not None:
        raise RuntimeNotBuildable(
            f"the kit cannot build {where} with no arguments: its constructor needs "
            f"{', '.join(needs)}, and no pytest_floe_dbt_harness built it",
            ". Tell the kit how to build it with the harness hook:"
            + _hook_snippet(name, runtime_cls, needs)
            + "Return floe_dbt_compliance.RuntimeHarness.for_project(project, ...) instead when "
            "the kit needs more (second instances with options, a remote-call counter, a cache "
            "root, secrets); a package that ships the harness marks its hook "
            f"@pytest.hookimpl(trylast=True). See {GUIDE}.",
        )
    try:
        plugin = runtime_cls()
    except DBTConfigurationError as exc:
        raise RuntimeNotBuildable(
            f"the kit cannot build {where} with no arguments: {exc}",
            f". Build it in pytest_floe_dbt_harness (see {GUIDE}).",
        ) from exc

    def new_instance(**options: Any) -> DBTPlugin:
        return runtime_cls.from_config(None, None, **options)

    return RuntimeHarness.for_project(project, plugin, new_instance=new_instance)


def _origins(pluginmanager: pytest.PytestPluginManager) -> dict[int, str]:
    """Plugins registered from an installed distribution: id -> ``name version``."""
    return {
        id(plugin): f"{dist.project_name} {dist.version}"
        for plugin, dist in pluginmanager.list_plugin_distinfo()
    }


def retired_hook_plugins(pluginmanager: pytest.PytestPluginManager) -> list[str]:
    """The plugins that implement ``pytest_floe_dbt_package_harness``, which nothing calls."""
    origins = _origins(pluginmanager)
    return [
        f"{impl.plugin_name} ({origins.get(id(impl.plugin), 'registered by a plugin')})"
        for impl in getattr(pluginmanager.hook, RETIRED_HOOK).get_hookimpls()
    ]


def early_package_harnesses(pluginmanager: pytest.PytestPluginManager) -> list[str]:
    """Installed packages whose harness is ``tryfirst``: asked before the user's conftest."""
    installed = _origins(pluginmanager)
    caller = pluginmanager.hook.pytest_floe_dbt_harness
    return [
        f"{impl.plugin_name} ({installed[id(impl.plugin)]})"
        for impl in caller.get_hookimpls()
        if impl.tryfirst and id(impl.plugin) in installed
    ]


def _close_runtime(runtime: DBTPlugin) -> None:
    closer = getattr(runtime, "close", None)
    if callable(closer):
        closer()


def _resolve(
    config: pytest.Config, name: str, project: ProjectCopy, tmp_path_factory: pytest.TempPathFactory
) -> RuntimeHarness:
    answer = config.hook.pytest_floe_dbt_harness(
        name=name, project=project, tmp_path_factory=tmp_path_factory
    )
    if answer is None:
        return default_harness(name, project)
    if isinstance(answer, RuntimeHarness):
        return answer
    if not isinstance(answer, DBTPlugin):
        raise HarnessError(
            f"{HOOK} returned {type(answer).__name__} for runtime {name!r}; return the runtime "
            "built for the project (a DBTPlugin), a RuntimeHarness "
            "(floe_dbt_compliance.RuntimeHarness.for_project), or None to let another answer"
        )
    seconds: list[RuntimeHarness] = []

    def again(**options: Any) -> DBTPlugin:
        if options:
            pytest.fail(
                f"this check needs an instance of runtime {name!r} built with {options}: give "
                "RuntimeHarness.for_project a factory that takes these keyword arguments",
                pytrace=False,
            )
        second = _resolve(config, name, project, tmp_path_factory)
        seconds.append(second)
        return second.plugin

    def close() -> None:
        _close_runtime(answer)
        while seconds:
            close_harness(seconds.pop())

    return RuntimeHarness.for_project(project, answer, new_instance=again, close=close)


def build_harness(
    config: pytest.Config,
    name: str,
    project: str | ProjectCopy,
    tmp_path_factory: pytest.TempPathFactory,
    warehouse: Warehouse | None = None,
) -> RuntimeHarness:
    """Build runtime ``name`` on ``project`` (a fixture project's name, copied here, or a copy).

    Args:
        config: The session's config (its hooks and ``--floe-dbt-runtime``).
        name: The ``floe.dbt`` entry-point name.
        project: A fixture project's name (the kit copies it) or a copy.
        tmp_path_factory: Where copies and the harness's directories go.
        warehouse: Where a fixture project named here is copied to run (default DuckDB).

    Raises:
        RuntimeNotBuildable: Nothing builds it and ``--floe-dbt-runtime`` named
            it (unnamed, the check is skipped with the reason instead).
        HarnessError: The hook answered something else than a runtime or a harness.
    """
    if isinstance(project, ProjectCopy):
        copy = project
    else:
        copy = copy_project(project, tmp_path_factory.mktemp(f"{name}-{project}"), warehouse)
    named = name in (config.getoption("floe_dbt_runtime", None) or ())
    try:
        return _resolve(config, name, copy, tmp_path_factory)
    except RuntimeNotBuildable as exc:
        if named:
            raise
        reason, then = exc.summary, "a failure that shows how to write the hook"
    except (DBTConfigurationError, ImportError) as exc:
        # The entry point or a harness's own import fails: not installed with what it needs.
        if named:
            raise
        reason, then = f"runtime {name!r} cannot be built here: {exc}", "a failure"
    pytest.skip(
        f"not certified here: {reason}. Skipped because --floe-dbt-runtime did not name it; "
        f"name it to make this {then}"
    )
