"""Variants that break the interface: the class, its signatures, its entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


class DuckTyped:
    """Has every method, but is not a DBTPlugin."""

    def __init__(self, **options: Any) -> None:
        self._inner = AcmeRuntime(**options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class WrongSignature(AcmeRuntime):
    def run_models(  # type: ignore[override]
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = True,
    ) -> DBTRunResult:
        return super().run_models(project_dir, profiles_dir, target, select, exclude, full_refresh)


class RenamedParameter(AcmeRuntime):
    def run_tests(  # type: ignore[override]
        self, project_dir: Path, profiles_dir: Path, target: str, selector: str | None = None
    ) -> DBTRunResult:
        return super().run_tests(project_dir, profiles_dir, target, selector)


def make_acme(**options: Any) -> AcmeRuntime:
    """Registered as the entry point instead of the class."""
    return AcmeRuntime(**options)
