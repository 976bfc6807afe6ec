"""The lifecycle capability: seed, snapshot, build and vars, beyond the seven methods.

REQ-086 fixes :class:`~floe_core.plugin_interfaces.DBTPlugin` at seven methods
(compile, run, test ...), but a real project is brought up with ``dbt seed``,
``dbt snapshot`` and ``dbt build``, and passes ``--vars``. A runtime that can
do these declares it by also subclassing :class:`DBTLifecycle`::

    class AcmeRuntime(DBTPlugin, DBTLifecycle): ...

A runtime that does not is still fully compliant: the kit reports the
lifecycle rows as *n/a* for it, and callers ask :func:`supports_lifecycle`
before using these methods.

Counting rules (the same :func:`~floe_core.artifacts.count_run_results` as
every other call, so ``models_run`` keeps meaning models):

* ``models_run``: model nodes that executed (``build`` runs models; ``seed``
  and ``snapshot`` never do, so it is 0 for them);
* ``tests_run``: data and unit tests that executed (``build`` only);
* ``failures``: every node whose status is ``error``, ``fail`` or ``runtime
  error``, whatever its type: a seed with a bad row or a failed snapshot
  counts here;
* ``success``: dbt succeeded and ``failures`` is 0 (a ``warn`` test is not a
  failure);
* ``metadata["seeds_run"]`` / ``metadata["snapshots_run"]``: the seeds and
  snapshots that executed (status ``success`` or ``error``), counted by
  :func:`count_lifecycle_nodes`. Every lifecycle result carries both keys.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.vocabulary import LIFECYCLE_COUNT_KEYS, DbtCommand

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "LIFECYCLE_COUNT_KEYS",
    "DBTLifecycle",
    "LifecycleCounts",
    "count_lifecycle_nodes",
    "lifecycle_metadata",
    "supports_lifecycle",
]

_EXECUTED = frozenset({"success", "error"})


class LifecycleCounts(NamedTuple):
    """The seeds and snapshots one invocation executed."""

    seeds_run: int
    snapshots_run: int

    def as_metadata(self) -> dict[str, int]:
        """The two ``DBTRunResult.metadata`` entries every lifecycle result carries."""
        return {"seeds_run": self.seeds_run, "snapshots_run": self.snapshots_run}


def count_lifecycle_nodes(run_results: Mapping[str, Any]) -> LifecycleCounts:
    """Count the seeds and snapshots that executed (``success`` or ``error``, not skipped).

    Args:
        run_results: The parsed ``run_results.json``.

    Returns:
        The counts.

    Raises:
        ValueError: The document has no ``results`` list.

    Examples:
        >>> count_lifecycle_nodes({"results": [
        ...     {"unique_id": "seed.p.countries", "status": "success"},
        ...     {"unique_id": "seed.p.bad", "status": "error"},
        ...     {"unique_id": "snapshot.p.orders_snap", "status": "skipped"},
        ... ]})
        LifecycleCounts(seeds_run=2, snapshots_run=0)
    """
    results = run_results.get("results")
    if not isinstance(results, list):
        raise ValueError("run_results.json has no 'results' list; is it a dbt run_results file?")
    seeds = snapshots = 0
    for result in results:
        if not isinstance(result, Mapping):
            continue
        unique_id = str(result.get("unique_id", ""))
        if str(result.get("status", "")).lower() not in _EXECUTED:
            continue
        if unique_id.startswith("seed."):
            seeds += 1
        elif unique_id.startswith("snapshot."):
            snapshots += 1
    return LifecycleCounts(seeds, snapshots)


def lifecycle_metadata(command: DbtCommand, run_results: Mapping[str, Any]) -> dict[str, int]:
    """The ``metadata`` counts a command's result carries: the lifecycle counts, or none.

    Args:
        command: The command that wrote ``run_results``.
        run_results: The parsed ``run_results.json``.

    Raises:
        ValueError: The document has no ``results`` list (a lifecycle command only).

    Examples:
        >>> from floe_core.vocabulary import RUN, SEED
        >>> lifecycle_metadata(SEED, {"results": []}), lifecycle_metadata(RUN, {})
        ({'seeds_run': 0, 'snapshots_run': 0}, {})
    """
    if not command.metadata_counts:
        return {}
    return count_lifecycle_nodes(run_results).as_metadata()


class DBTLifecycle(ABC):
    """Optional capability: ``dbt seed``, ``dbt snapshot``, ``dbt build`` and ``--vars``.

    Declared by subclassing it beside :class:`~floe_core.plugin_interfaces.DBTPlugin`.
    Every method follows the contract's rules: a failing node is a *result*
    (``success=False``, counted in ``failures``), not an exception;
    ``DBTCompilationError`` when the project does not parse or compile,
    ``DBTExecutionError`` when dbt cannot run at all, ``DBTConfigurationError``
    for a selector that is not a dbt selection expression or vars that are
    not JSON values. Selectors mean what they mean to dbt.

    ``vars`` is passed to dbt as ``--vars`` (one JSON document; see
    :class:`floe_core.selectors.DbtVars`). The vars an invocation gets
    are the runtime's bound vars (:meth:`with_vars`) updated with the call's own.

    Examples:
        >>> if supports_lifecycle(runtime):  # doctest: +SKIP
        ...     runtime.seed(project, profiles, "dev")
        ...     runtime.build(project, profiles, "dev", vars={"start_date": "2024-01-01"})
    """

    @abstractmethod
    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,  # dbt's own name for them
    ) -> DBTRunResult:
        """Execute ``dbt seed``: load the project's CSV seeds.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target.
            select: A dbt selector; ``None`` loads every seed.
            exclude: A dbt selector of seeds to leave out.
            full_refresh: Drop and recreate the seed tables (a changed header needs it).
            vars: Variables for ``--vars``.

        Returns:
            The result; ``metadata["seeds_run"]`` counts the seeds loaded, a seed
            that failed (a bad row) is in ``failures``.

        Raises:
            DBTCompilationError: The project could not be parsed.
            DBTExecutionError: dbt could not be run.
            DBTConfigurationError: A selector or the vars are malformed.
        """

    @abstractmethod
    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Execute ``dbt snapshot``: record changes of the snapshotted sources.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target.
            select: A dbt selector; ``None`` runs every snapshot.
            exclude: A dbt selector of snapshots to leave out.
            vars: Variables for ``--vars``.

        Returns:
            The result; ``metadata["snapshots_run"]`` counts the snapshots run.

        Raises:
            DBTCompilationError: The project could not be parsed or compiled.
            DBTExecutionError: dbt could not be run.
            DBTConfigurationError: A selector or the vars are malformed.
        """

    @abstractmethod
    def build(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Execute ``dbt build``: seeds, snapshots, models and tests in DAG order.

        A failing test skips the nodes downstream of what it tests, as dbt does;
        skipped nodes are not counted as run.

        Args:
            project_dir: Directory holding ``dbt_project.yml``.
            profiles_dir: Directory holding ``profiles.yml``.
            target: The profile target.
            select: A dbt selector; ``None`` builds everything.
            exclude: A dbt selector of nodes to leave out.
            full_refresh: Rebuild incremental models and seeds from scratch.
            vars: Variables for ``--vars``.

        Returns:
            The result, with every count of the module docstring.

        Raises:
            DBTCompilationError: The project could not be parsed or compiled.
            DBTExecutionError: dbt could not be run.
            DBTConfigurationError: A selector or the vars are malformed.
        """

    @abstractmethod
    def with_vars(self, vars: Mapping[str, Any]) -> "Self":
        """Return a runtime like this one that passes ``vars`` to every dbt invocation.

        The returned object is the same kind of runtime (a ``DBTPlugin`` and a
        ``DBTLifecycle``), sharing this one's settings, lock and caches where
        that is safe; the seven methods of the contract keep their signatures
        and gain the vars: ``runtime.with_vars({"x": 1}).run_models(...)`` is
        ``dbt run --vars '{"x": 1}'``. This runtime is left unchanged.

        Args:
            vars: Variables to bind, updated over any this runtime already binds.

        Returns:
            The bound runtime.

        Raises:
            DBTConfigurationError: The vars are not a mapping of JSON values.
        """


def supports_lifecycle(runtime: object) -> bool:
    """Whether a runtime declares the lifecycle capability (and is a ``DBTPlugin``).

    Examples:
        >>> supports_lifecycle(object())
        False
    """
    return isinstance(runtime, DBTPlugin) and isinstance(runtime, DBTLifecycle)
