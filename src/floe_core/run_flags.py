"""Two optional capabilities for CI scripts: fail-fast, and state selection with deferral.

Real projects' CI runs ``dbt build -x`` (stop at the first failure) and slim
CI (``dbt build --select state:modified+ --defer --state DIR``: build what
changed against production's manifest, reading production's relations for
the parents it does not build). REQ-086 fixes the seven methods and their
signatures, so these flags are *bound*, as :meth:`DBTLifecycle.with_vars
<floe_core.lifecycle.DBTLifecycle.with_vars>` binds vars: a runtime that
can pass them declares it by subclassing::

    class AcmeRuntime(DBTPlugin, DBTFailFast, DBTStateSelection): ...

    runtime.with_fail_fast().run_models(project, profiles, "ci")
    runtime.with_state(Path("prod-state"), defer=True).run_models(
        project, profiles, "ci", select="state:modified+"
    )

A runtime without them is still compliant: the kit reports their rows *n/a*,
and callers ask :func:`supports_fail_fast` / :func:`supports_state` first.
Both bindings reach every dbt invocation of the bound runtime (the seven
methods, and the lifecycle's when it has them), exactly as dbt's own flags
would: a fail-fast run that stops reports what it did not run as
``skipped``, and is a result (``success=False``), never an exception.
"""

from __future__ import annotations

import os
import typing
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.vocabulary import RunFlags

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "DBTFailFast",
    "DBTStateSelection",
    "RunFlags",
    "bind_run_flags",
    "checked_state",
    "supports_fail_fast",
    "supports_state",
]


class DBTFailFast(ABC):
    """Optional capability: ``--fail-fast`` (``-x``) on every invocation.

    Declared by subclassing it beside :class:`~floe_core.plugin_interfaces.DBTPlugin`.
    A bound runtime stops at the first node that fails, as ``dbt <command> -x``
    does: the failing node is ``error``/``fail``, every node that did not
    finish is ``skipped`` in ``run_results.json`` and not counted as run, and
    the call returns a failed result.
    """

    @abstractmethod
    def with_fail_fast(self, fail_fast: bool = True) -> Self:
        """Return a runtime like this one whose every dbt invocation passes ``--fail-fast``.

        The returned object is the same kind of runtime, sharing this one's
        settings, lock and caches where that is safe; this runtime is left
        unchanged. ``with_fail_fast(False)`` returns one that does not.

        Args:
            fail_fast: Whether to stop at the first failure.

        Returns:
            The bound runtime.
        """


class DBTStateSelection(ABC):
    """Optional capability: ``--state DIR`` (``state:`` selectors) and ``--defer``.

    Declared by subclassing it beside :class:`~floe_core.plugin_interfaces.DBTPlugin`.
    A bound runtime compares the project with the ``manifest.json`` in the
    state directory, so ``select="state:modified+"`` means what it means to
    dbt; with ``defer`` the parents a call does not build, and that its
    target has not built, resolve to their relations in that manifest.
    """

    @abstractmethod
    def with_state(self, state: Path, *, defer: bool = False) -> Self:
        """Return a runtime like this one whose every dbt invocation passes ``--state state``.

        The returned object is the same kind of runtime, sharing this one's
        settings, lock and caches where that is safe; this runtime is left
        unchanged.

        Args:
            state: A directory holding the ``manifest.json`` of the state to
                compare with (a production run's, typically); relative paths
                are taken from the current directory, as dbt takes them.
            defer: Also pass ``--defer``.

        Returns:
            The bound runtime.

        Raises:
            DBTConfigurationError: ``state`` is not a directory path, or the
                runtime cannot give that directory to dbt (a remote runtime
                may require it to be inside the project it sends).
        """


def checked_state(state: object) -> Path:
    """A state directory as a runtime binds it: an absolute path (dbt reads it relative to here).

    Raises:
        DBTConfigurationError: It is not a path (``str`` or ``os.PathLike``) or is empty.

    Examples:
        >>> checked_state("/srv/prod-state")
        PosixPath('/srv/prod-state')
    """
    if isinstance(state, bool) or not isinstance(state, (str, os.PathLike)):
        raise DBTConfigurationError(
            f"state must be the path of a directory holding manifest.json, "
            f"got {type(state).__name__}"
        )
    text = os.fspath(state)
    if not isinstance(text, str) or not text.strip() or "\0" in text:
        raise DBTConfigurationError(
            "state must be the path of a directory holding manifest.json, got an empty or "
            "unusable path"
        )
    return Path(text).absolute()


def supports_fail_fast(runtime: object) -> bool:
    """Whether a runtime declares the fail-fast capability (and is a ``DBTPlugin``).

    Examples:
        >>> supports_fail_fast(object())
        False
    """
    return isinstance(runtime, DBTPlugin) and isinstance(runtime, DBTFailFast)


def supports_state(runtime: object) -> bool:
    """Whether a runtime declares the state capability (and is a ``DBTPlugin``).

    Examples:
        >>> supports_state(object())
        False
    """
    return isinstance(runtime, DBTPlugin) and isinstance(runtime, DBTStateSelection)


def bind_run_flags(
    runtime: DBTPlugin,
    *,
    fail_fast: bool = False,
    state: Path | None = None,
    defer: bool = False,
    name: str | None = None,
) -> DBTPlugin:
    """The runtime bound to the run flags given, checking it has the capabilities they need.

    Args:
        runtime: The runtime.
        fail_fast: Bind ``--fail-fast`` (needs :class:`DBTFailFast`).
        state: Bind ``--state`` (needs :class:`DBTStateSelection`).
        defer: Bind ``--defer`` too (needs ``state``).
        name: How messages name the runtime (its entry-point name).

    Returns:
        ``runtime`` itself when nothing is given, else a bound copy.

    Raises:
        DBTConfigurationError: ``defer`` without ``state``, or a flag the
            runtime's capabilities do not cover.
    """
    shown = f"the dbt runtime {name!r} ({type(runtime).__name__})" if name else "the runtime"
    if defer and state is None:
        raise DBTConfigurationError("--defer needs --state: the directory of the state to defer to")
    bound: object = runtime
    if fail_fast:
        if not supports_fail_fast(bound):
            raise DBTConfigurationError(
                f"{shown} does not have the fail-fast capability that --fail-fast needs; use a "
                "runtime that declares it (floe_core.run_flags.DBTFailFast)"
            )
        bound = typing.cast(DBTFailFast, bound).with_fail_fast()
    if state is not None:
        if not supports_state(bound):
            raise DBTConfigurationError(
                f"{shown} does not have the state capability that --state and --defer need; use "
                "a runtime that declares it (floe_core.run_flags.DBTStateSelection)"
            )
        bound = typing.cast(DBTStateSelection, bound).with_state(state, defer=defer)
    return typing.cast(DBTPlugin, bound)
