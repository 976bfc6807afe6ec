"""DBTFusionPlugin: the dbt Fusion placeholder (REQ-089).

dbt Fusion is dbt's Rust engine. It has no Python bindings yet, so this
runtime exists only to reserve the ``floe.dbt: fusion`` name and the
``dbt_runtime_config.fusion`` section: every method raises
:class:`NotImplementedError` with :data:`FUSION_NOT_IMPLEMENTED`, the seven
of the contract and the four of the lifecycle capability it declares
(:class:`~floe_core.lifecycle.DBTLifecycle`: a Fusion runtime will have
``seed``, ``snapshot``, ``build`` and vars, and callers that check
:func:`~floe_core.lifecycle.supports_lifecycle` get the same answer as every
other call). It imports
and loads nothing (no binary, no bindings), so discovering or building it is
always safe. Discovery logs
:data:`floe_core.plugin_registry.FUSION_WARNING` once per process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["FUSION_NOT_IMPLEMENTED", "DBTFusionPlugin"]

FUSION_NOT_IMPLEMENTED = (
    "dbt Fusion Python bindings not yet available. "
    "Track progress: https://github.com/dbt-labs/dbt-fusion/issues/10"
)


def _not_implemented() -> NoReturn:
    raise NotImplementedError(FUSION_NOT_IMPLEMENTED)


class DBTFusionPlugin(DBTPlugin, DBTLifecycle):
    """Placeholder runtime for dbt Fusion; every method raises ``NotImplementedError``.

    The compliance kit reports it as "not implemented" rather than failed.
    See this package's README for what implementing it would take.

    Examples:
        >>> DBTFusionPlugin().supports_parallel_execution()
        Traceback (most recent call last):
        ...
        NotImplementedError: dbt Fusion Python bindings not yet available. ...
    """

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def run_tests(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
    ) -> DBTRunResult:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def supports_parallel_execution(self) -> bool:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def get_runtime_metadata(self) -> dict[str, Any]:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

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
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()

    def with_vars(self, vars: Mapping[str, Any]) -> Self:
        """Not implemented: dbt Fusion has no Python bindings yet.

        Raises:
            NotImplementedError: Always.
        """
        _not_implemented()
