"""What the kit learns about a runtime before testing it: its :class:`RuntimeProfile`.

The kit builds each runtime once per process on a copy of the ``healthy``
fixture project and asks it what needs no dbt invocation (:func:`probe`):
its class, metadata, parallelism and, from its harness, cache root,
secrets and what cannot be observed. The runtime's capabilities are decided
there, once; the gate of :mod:`floe_dbt_compliance.requirements` reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from floe_core.plugin_interfaces import DBTPlugin
from floe_dbt_compliance.building import build_harness
from floe_dbt_compliance.capabilities import Capability, decide
from floe_dbt_compliance.harness import RuntimeHarness, close_harness
from floe_dbt_compliance.projects import copy_project
from floe_dbt_compliance.warehouse import Warehouse

__all__ = ["RuntimeProfile", "probe", "profile_runtime"]

T = TypeVar("T")


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
        secrets: The harness's secrets, for the no-credential checks.
        not_implemented: The runtime's message when it implements nothing.
        capabilities: What it has of :class:`~floe_dbt_compliance.capabilities.Capability`,
            decided once here: every gate reads this set.
        unobservable: What the kit cannot observe with its harness
            (:data:`~floe_dbt_compliance.harness.WAREHOUSE`), and why.
    """

    name: str
    runtime_class: type[DBTPlugin]
    class_path: str
    metadata: dict[str, Any] | None
    metadata_error: str | None
    parallel: bool | None
    parallel_error: str | None
    secrets: tuple[str, ...]
    not_implemented: str | None
    capabilities: frozenset[Capability] = frozenset()
    unobservable: Mapping[str, str] = field(default_factory=dict)


def _answer(
    question: Callable[[], Any],
    expected: type[T],
    unexpected: Callable[[Any], str],
    raised: str,
    not_implemented: list[str],
) -> tuple[T | None, str | None]:
    """Ask one question: the answer when it is an ``expected``, else why there is none."""
    try:
        said = question()
    except NotImplementedError as exc:
        not_implemented.append(str(exc) or "NotImplementedError")
        return None, f"NotImplementedError: {exc}"
    except Exception as exc:
        return None, f"{raised}{type(exc).__name__}: {exc}"
    if isinstance(said, expected):
        return said, None
    return None, unexpected(said)


def probe(harness: RuntimeHarness, name: str) -> RuntimeProfile:
    """Ask a runtime the questions that need no dbt invocation.

    A runtime whose metadata and parallelism answers both raise
    ``NotImplementedError`` (a placeholder such as ``fusion``) is "not
    implemented"; one that raises it from only some methods is simply broken.
    """
    plugin = harness.plugin
    cls = type(plugin)
    not_implemented: list[str] = []
    metadata, metadata_error = _answer(
        plugin.get_runtime_metadata,
        dict,
        lambda said: f"get_runtime_metadata() returned {type(said).__name__}, not dict",
        "",
        not_implemented,
    )
    parallel, parallel_error = _answer(
        plugin.supports_parallel_execution,
        bool,
        lambda said: f"supports_parallel_execution() returned {said!r}, not a bool",
        "supports_parallel_execution() raised ",
        not_implemented,
    )
    return RuntimeProfile(
        name=name,
        runtime_class=cls,
        class_path=f"{cls.__module__}:{cls.__qualname__}",
        metadata=metadata,
        metadata_error=metadata_error,
        parallel=parallel,
        parallel_error=parallel_error,
        secrets=tuple(harness.secrets),
        not_implemented=not_implemented[0] if len(not_implemented) == 2 else None,
        capabilities=decide(
            cls,
            parallel=parallel,
            cache_root=harness.cache_root,
            secrets=harness.secrets,
            remote=harness.remote is not None,
        ),
        unobservable=dict(harness.unobservable),
    )


def profile_runtime(
    config: pytest.Config,
    name: str,
    tmp_path_factory: pytest.TempPathFactory,
    warehouse: Warehouse | None = None,
) -> RuntimeProfile:
    """Build runtime ``name`` on a copy of ``healthy``, probe it and release it."""
    warehouse = warehouse or Warehouse.duckdb()
    copy = copy_project("healthy", tmp_path_factory.mktemp(f"{name}-healthy"), warehouse)
    try:
        harness = build_harness(config, name, copy, tmp_path_factory)
        try:
            return probe(harness, name)
        finally:
            close_harness(harness)
    finally:
        warehouse.release(copy.schema)
