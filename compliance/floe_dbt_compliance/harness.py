"""How a runtime reaches the kit: :class:`RuntimeHarness`, the default harness, the probe.

A runtime's author implements the ``pytest_floe_dbt_harness`` hook (see
:mod:`floe_dbt_compliance.hookspecs`) when the runtime needs settings, a
server or a counter; otherwise the kit builds the entry point's class with no
arguments on its own copy of a fixture project (:func:`default_harness`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_core.plugin_interfaces import DBTPlugin
from floe_core.plugin_registry import PluginRegistry
from floe_dbt_compliance.projects import FIXTURE_PROJECTS, copy_project

__all__ = ["RuntimeHarness", "RuntimeProfile", "build_harness", "default_harness", "probe"]


@dataclass
class RuntimeHarness:
    """One runtime instance wired to one private copy of a fixture project.

    Attributes:
        plugin: The runtime under test.
        project_dir: The copy of the fixture project the kit asked for.
        profiles_dir: Where its ``profiles.yml`` is.
        target: The profile target.
        new_instance: Builds another instance working on the same project;
            keyword arguments (``no_cache=True`` ...) are forwarded. Needed by
            the serialisation and no-cache checks.
        database_path: The DuckDB file where the runtime's effects land, when
            the kit can read it; row-count checks need it.
        remote_calls: Returns how many remote calls the runtime has made so
            far (e.g. HTTP requests); cache checks need it.
        cache_root: The artifact cache's root directory; giving it declares
            the ``artifact_cache`` capability.
        cache_ttl_hours: The TTL the runtime was built with.
        secrets: Values that must never appear in metadata, spans or the cache.
        close: Releases what the harness holds (servers, clients); called once.
    """

    plugin: DBTPlugin
    project_dir: Path
    profiles_dir: Path
    target: str = "dev"
    new_instance: Callable[..., DBTPlugin] | None = None
    database_path: Path | None = None
    remote_calls: Callable[[], int] | None = None
    cache_root: Path | None = None
    cache_ttl_hours: float = 24.0
    secrets: Sequence[str] = field(default_factory=tuple)
    close: Callable[[], None] | None = None

    def another(self, **options: Any) -> DBTPlugin:
        """Return a second instance on the same project.

        Raises:
            pytest.fail.Exception: The harness gives no ``new_instance``.
        """
        if self.new_instance is None:
            pytest.fail(
                "this check needs a second runtime instance: return a RuntimeHarness with "
                "new_instance from pytest_floe_dbt_harness",
                pytrace=False,
            )
        return self.new_instance(**options)

    def calls(self) -> int:
        """Return the remote-call count.

        Raises:
            pytest.fail.Exception: The harness declares a cache but gives no counter.
        """
        if self.remote_calls is None:
            pytest.fail(
                "a runtime with an artifact cache must let the kit count remote calls: "
                "return a RuntimeHarness with remote_calls from pytest_floe_dbt_harness",
                pytrace=False,
            )
        return self.remote_calls()


def default_harness(
    name: str, project: str, tmp_path_factory: pytest.TempPathFactory
) -> RuntimeHarness:
    """Build the entry point's class with no arguments on a fresh copy of ``project``.

    Args:
        name: The ``floe.dbt`` entry-point name.
        project: The fixture project to copy.
        tmp_path_factory: Where the copy goes.

    Returns:
        A harness on DuckDB whose second instances come from ``from_config``.
    """
    runtime_cls: type[DBTPlugin] = PluginRegistry().load_class("dbt", name)
    try:
        plugin = runtime_cls()
    except TypeError as exc:
        raise TypeError(
            f"the kit cannot build runtime {name!r} ({runtime_cls.__qualname__}) with no "
            f"arguments ({exc}); implement the pytest_floe_dbt_harness hook in a conftest.py "
            "or plugin to build it"
        ) from exc
    copy = copy_project(project, tmp_path_factory.mktemp(f"{name}-{project}"))

    def new_instance(**options: Any) -> DBTPlugin:
        return runtime_cls.from_config(None, None, **options)

    return RuntimeHarness(
        plugin=plugin,
        project_dir=copy.project_dir,
        profiles_dir=copy.profiles_dir,
        target=copy.target,
        new_instance=new_instance,
        database_path=copy.database_path,
    )


def _project_name(project_dir: Path) -> str | None:
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
        document = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
        return str(document["name"])
    return None


def build_harness(
    config: pytest.Config, name: str, project: str, tmp_path_factory: pytest.TempPathFactory
) -> RuntimeHarness:
    """Ask the hook for a harness, fall back to the default one, and check what came back.

    Raises:
        TypeError: The hook returned something that is not a :class:`RuntimeHarness`.
        ValueError: The harness is on another project than the one asked for.
    """
    if project not in FIXTURE_PROJECTS:
        raise ValueError(f"unknown fixture project {project!r}")
    harness = config.hook.pytest_floe_dbt_harness(
        name=name, project=project, tmp_path_factory=tmp_path_factory
    )
    if harness is None:
        return default_harness(name, project, tmp_path_factory)
    if not isinstance(harness, RuntimeHarness):
        raise TypeError(
            f"pytest_floe_dbt_harness returned {type(harness).__name__} for runtime {name!r}; "
            "return a floe_dbt_compliance.RuntimeHarness (or None to let another answer)"
        )
    found = _project_name(Path(harness.project_dir))
    if found != project:
        raise ValueError(
            f"pytest_floe_dbt_harness returned project {found!r} at {harness.project_dir} for "
            f"runtime {name!r}, but the kit asked for {project!r}: copy the project the "
            "'project' argument names (floe_dbt_compliance.projects.copy_project)"
        )
    return harness


def close_harness(harness: RuntimeHarness) -> None:
    """Release a harness's resources, if it holds any."""
    if harness.close is not None:
        harness.close()


@dataclass(frozen=True)
class RuntimeProfile:
    """What the kit learnt about a runtime before testing it.

    Attributes:
        name: The entry-point name.
        runtime_class: The class of the harness's runtime.
        class_path: ``module:QualName`` of the runtime's class.
        metadata: ``get_runtime_metadata()``, when it answered.
        metadata_error: Why it did not.
        parallel: ``supports_parallel_execution()``, when it answered a bool.
        parallel_error: What it did instead.
        has_cache: Whether the harness names a cache root.
        secrets: The harness's secrets, for the no-credential checks.
        not_implemented: The runtime's message when it implements nothing.
    """

    name: str
    runtime_class: type[DBTPlugin]
    class_path: str
    metadata: dict[str, Any] | None
    metadata_error: str | None
    parallel: bool | None
    parallel_error: str | None
    has_cache: bool
    secrets: tuple[str, ...]
    not_implemented: str | None


def probe(harness: RuntimeHarness, name: str) -> RuntimeProfile:
    """Ask a runtime the questions that need no dbt invocation.

    A runtime whose metadata and parallelism answers both raise
    ``NotImplementedError`` (a placeholder such as ``fusion``) is "not
    implemented"; one that raises it from only some methods is simply broken.
    """
    plugin = harness.plugin
    cls = type(plugin)
    metadata: dict[str, Any] | None = None
    metadata_error: str | None = None
    not_implemented: list[str] = []
    try:
        returned: Any = plugin.get_runtime_metadata()
        metadata = returned if isinstance(returned, dict) else None
        if metadata is None:
            metadata_error = f"get_runtime_metadata() returned {type(returned).__name__}, not dict"
    except NotImplementedError as exc:
        not_implemented.append(str(exc) or "NotImplementedError")
        metadata_error = f"NotImplementedError: {exc}"
    except Exception as exc:
        metadata_error = f"{type(exc).__name__}: {exc}"
    parallel: bool | None = None
    parallel_error: str | None = None
    try:
        said: Any = plugin.supports_parallel_execution()
        parallel = said if isinstance(said, bool) else None
        if parallel is None:
            parallel_error = f"supports_parallel_execution() returned {said!r}, not a bool"
    except NotImplementedError as exc:
        not_implemented.append(str(exc) or "NotImplementedError")
        parallel_error = f"NotImplementedError: {exc}"
    except Exception as exc:
        parallel_error = f"supports_parallel_execution() raised {type(exc).__name__}: {exc}"
    return RuntimeProfile(
        name=name,
        runtime_class=cls,
        class_path=f"{cls.__module__}:{cls.__qualname__}",
        metadata=metadata,
        metadata_error=metadata_error,
        parallel=parallel,
        parallel_error=parallel_error,
        has_cache=harness.cache_root is not None,
        secrets=tuple(harness.secrets),
        not_implemented=not_implemented[0] if len(not_implemented) == 2 else None,
    )
