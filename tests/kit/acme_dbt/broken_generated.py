"""Variants only generated projects expose: selector syntax the fixture scenarios do not use."""

from __future__ import annotations

from . import AcmeRuntime


class IntersectionAsUnion(AcmeRuntime):
    """Reads "a,b" (the intersection) as "a b" (the union)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.replace(",", " ")
        return super()._selection(select, exclude, full_refresh)


class AtAsChildren(AcmeRuntime):
    """Reads "@x" (x, its descendants and their ancestors) as "x+" (x and its descendants)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = " ".join(
                f"{member[1:]}+" if member.startswith("@") else member
                for member in select.split(" ")
            )
        return super()._selection(select, exclude, full_refresh)
