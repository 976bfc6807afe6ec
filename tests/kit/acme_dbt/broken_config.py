"""Variants that let text that is not dbt syntax reach dbt."""

from __future__ import annotations

from . import AcmeRuntime


class PassesFlags(AcmeRuntime):
    """Splits selectors on spaces and hands the pieces to dbt: "x --full-refresh" is a flag."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        args = []
        if select is not None:
            args += ["--select", *select.split()]
        if exclude is not None:
            args += ["--exclude", *exclude.split()]
        return args + (["--full-refresh"] if full_refresh else [])


class UncheckedExclude(AcmeRuntime):
    """Checks select, not exclude."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        args = super()._selection(select, None, full_refresh)
        return args + (["--exclude", *exclude.split(" ")] if exclude is not None else [])


class UncheckedTarget(AcmeRuntime):
    def _target(self, target: str) -> str:
        return target
