"""A variant the kit's own projects cannot show: it drops a node only a user's project has."""

from __future__ import annotations

from . import AcmeRuntime


class DropsOneNode(AcmeRuntime):
    """Never runs ``stg_payments`` (as a runtime filtering nodes by rules of its own would)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return [*super()._selection(select, exclude, full_refresh), "--exclude", "stg_payments"]
