"""How a runtime reaches the kit: :class:`RuntimeHarness`, data only.

A harness is one runtime instance wired to one fresh copy of a dbt project.
The kit gets it from the hook of :mod:`floe_dbt_compliance.hookspecs` (see
:mod:`floe_dbt_compliance.building`); a hook returns the runtime built for
the project it was given, or a harness made with
:meth:`RuntimeHarness.for_project` when the kit needs more than the runtime.
What the kit learns from a harness before testing is
:mod:`floe_dbt_compliance.profile`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from floe_core.plugin_interfaces import DBTPlugin
from floe_dbt_compliance.projects import ProjectCopy
from floe_dbt_compliance.remote_service import RemoteService
from floe_dbt_compliance.status import not_applicable as _not_applicable

__all__ = [
    "WAREHOUSE",
    "RuntimeHarness",
    "close_harness",
    "not_applicable",
]

#: What :attr:`RuntimeHarness.unobservable` may name: the warehouse the runtime writes to.
WAREHOUSE = "warehouse"


def not_applicable(reason: str) -> NoReturn:
    """Report the check in progress as *n/a*, with ``reason``, from a harness or a check.

    A harness that cannot give the kit what a check needs (a project it cannot
    deploy, a warehouse it cannot read) says so with this: the certificate
    shows the row as n/a with the reason, never as passed.
    """
    _not_applicable(reason)


@dataclass
class RuntimeHarness:
    """One runtime instance wired to one private copy of a dbt project.

    Build one with :meth:`for_project`; the kit reads these attributes.

    Attributes:
        plugin: The runtime under test.
        project_dir: The copy of the project the kit asked for.
        profiles_dir: Where its ``profiles.yml`` is.
        target: The profile target.
        new_instance: Builds another instance working on the same project;
            keyword arguments (``no_cache=True`` ...) are forwarded. Needed by
            the serialisation and no-cache checks.
        database_path: The DuckDB file where the runtime's effects land, when
            the kit can read it (on DuckDB; on PostgreSQL the kit reads the
            copy's scratch schema).
        remote_calls: Returns how many remote calls the runtime has made so
            far (e.g. HTTP requests); cache checks need it.
        cache_root: The artifact cache's root directory; giving it declares
            the ``artifact_cache`` capability.
        cache_ttl_hours: The TTL the runtime was built with.
        secrets: Values that must never appear in metadata, spans or the cache.
        close: Releases what the harness holds (servers, clients); called once.
        unobservable: What the kit cannot observe with this harness
            (:data:`WAREHOUSE`), and why: the checks that need it are n/a
            with that reason instead of passing or failing on nothing.
        serve_project: How this deployment serves *another* project, as one
            serving several does (Dagster code locations, a CI matrix): by
            default the harness's own instance (every method takes the
            project, so one instance serves any); a runtime whose instances
            are bound to one project (dbt Cloud's jobs run one repository)
            gives a callable that builds one for the given copy, sharing this
            one's cache directory as the default location would.
        remote: The remote service the runtime talks to, as the kit drives
            and reads it (faults injected, requests logged); giving it
            declares the ``remote_service`` capability.
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
    unobservable: Mapping[str, str] = field(default_factory=dict)
    serve_project: Callable[[ProjectCopy], DBTPlugin] | None = None
    remote: RemoteService | None = None

    @classmethod
    def for_project(
        cls,
        project: ProjectCopy,
        runtime: DBTPlugin | Callable[..., DBTPlugin],
        *,
        new_instance: Callable[..., DBTPlugin] | None = None,
        database_path: Path | None = None,
        remote_calls: Callable[[], int] | None = None,
        cache_root: Path | None = None,
        cache_ttl_hours: float = 24.0,
        secrets: Sequence[str] = (),
        close: Callable[[], None] | None = None,
        unobservable: Mapping[str, str] | None = None,
        serve_project: Callable[[ProjectCopy], DBTPlugin] | None = None,
        remote: RemoteService | None = None,
    ) -> RuntimeHarness:
        """Wire a runtime to the kit's copy of a project; everything else is a keyword.

        Args:
            project: The copy the hook was given.
            runtime: The runtime built for it, or a factory ``(**options) ->
                runtime``: then the harness's runtime is ``runtime()``, second
                instances come from ``runtime(**options)``, and every instance
                it built that has a ``close()`` is closed with the harness.
            new_instance: How to build a second instance (default: the
                factory; for a bare runtime, the kit asks your hook again).
            database_path: Where the runtime's tables land on DuckDB (default:
                the file the copy's profile names).
            remote_calls: A counter of the runtime's remote calls.
            cache_root: The artifact cache's root (declares the cache capability).
            cache_ttl_hours: The TTL the runtime was built with.
            secrets: Values that must never show up anywhere.
            close: Called once when the kit is done with the harness.
            unobservable: What the kit cannot observe here, and why
                (``{WAREHOUSE: "..."}``): those checks are n/a, and
                ``database_path`` is ignored.
            serve_project: Builds the instance that serves another project
                (default: this one serves every project).
            remote: The remote service, for the conversation checks
                (:class:`~floe_dbt_compliance.remote_service.RemoteService`).

        Returns:
            The harness.
        """
        built: list[DBTPlugin] = []
        if isinstance(runtime, DBTPlugin):
            plugin = runtime
        else:
            factory = runtime

            def build(**options: Any) -> DBTPlugin:
                instance = factory(**options)
                built.append(instance)
                return instance

            plugin = build()
            new_instance = new_instance or build

        def close_all() -> None:
            while built:
                closer = getattr(built.pop(), "close", None)
                if callable(closer):
                    closer()
            if close is not None:
                close()

        hidden = dict(unobservable or {})
        return cls(
            plugin=plugin,
            project_dir=project.project_dir,
            profiles_dir=project.profiles_dir,
            target=project.target,
            new_instance=new_instance,
            database_path=None if WAREHOUSE in hidden else database_path or project.database_path,
            remote_calls=remote_calls,
            cache_root=cache_root,
            cache_ttl_hours=cache_ttl_hours,
            secrets=tuple(secrets),
            close=close_all,
            unobservable=hidden,
            serve_project=serve_project,
            remote=remote,
        )

    def another(self, **options: Any) -> DBTPlugin:
        """Return a second instance on the same project.

        Raises:
            pytest.fail.Exception: The harness gives no ``new_instance``.
        """
        if self.new_instance is None:
            pytest.fail(
                "this check needs a second runtime instance: give RuntimeHarness.for_project "
                "a factory (or new_instance=...) from pytest_floe_dbt_harness",
                pytrace=False,
            )
        return self.new_instance(**options)

    def instance_for(self, project: ProjectCopy) -> DBTPlugin:
        """The instance that serves ``project`` beside this harness's (itself, by default)."""
        if self.serve_project is None:
            return self.plugin
        return self.serve_project(project)

    def calls(self) -> int:
        """Return the remote-call count.

        Raises:
            pytest.fail.Exception: The harness declares a cache but gives no counter.
        """
        if self.remote_calls is None:
            pytest.fail(
                "a runtime with an artifact cache must let the kit count remote calls: "
                "give RuntimeHarness.for_project remote_calls=... from pytest_floe_dbt_harness",
                pytrace=False,
            )
        return self.remote_calls()


def close_harness(harness: RuntimeHarness) -> None:
    """Release a harness's resources, if it holds any."""
    if harness.close is not None:
        harness.close()
