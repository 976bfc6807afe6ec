"""How a kit test is bound to its row, and the one gate that decides a row is *n/a*.

The rows are declared in :mod:`floe_dbt_compliance.catalogue`. Every kit
test is bound to exactly one row, with :func:`requirement` (or, for a check
parametrised over rows, :func:`each_row`); the certificate has one row per
requirement. Before a bound test runs, the kit asks :func:`not_applicable_reason`
whether its row applies to the runtime: a row that needs a capability the
runtime lacks, or that shows only in a warehouse its harness cannot observe,
is *n/a* with the reason, never silently passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue import REQUIREMENTS
from floe_dbt_compliance.declaration import Requirement, Unchecked
from floe_dbt_compliance.errors import UnknownRow
from floe_dbt_compliance.harness import WAREHOUSE

if TYPE_CHECKING:
    from floe_dbt_compliance.profile import RuntimeProfile

__all__ = [
    "MARKER",
    "Capability",
    "Requirement",
    "Unchecked",
    "each_row",
    "not_applicable_reason",
    "requirement",
    "row_of",
]

MARKER = "floe_dbt_requirement"


def requirement(key: str) -> pytest.MarkDecorator:
    """Bind a kit test to a catalogue entry.

    Args:
        key: A key of :data:`~floe_dbt_compliance.catalogue.REQUIREMENTS`.

    Returns:
        The marker that binds the test; the certificate row of ``key`` takes
        its outcome.

    Raises:
        UnknownRow: ``key`` is not in the catalogue (a typo would otherwise
            lose a row); a ``KeyError``.
    """
    if key not in REQUIREMENTS:
        raise UnknownRow(f"{key!r} is not in the floe-dbt requirement catalogue")
    marker: pytest.MarkDecorator = getattr(pytest.mark, MARKER)(key)
    return marker


def each_row(rows: Iterable[Requirement]) -> pytest.MarkDecorator:
    """Parametrise a check over ``rows``: its argument ``row``, one test per row, bound to it."""
    return pytest.mark.parametrize(
        "row", [pytest.param(row, id=row.key, marks=requirement(row.key)) for row in rows]
    )


def row_of(node: pytest.Item) -> Requirement | None:
    """The row a collected test is bound to, if any."""
    marker = node.get_closest_marker(MARKER)
    return None if marker is None else REQUIREMENTS[marker.args[0]]


def not_applicable_reason(
    row: Requirement, profile: RuntimeProfile, *, user_projects: bool = False, chaos: bool = False
) -> str | None:
    """Say why a row does not apply to a runtime, or ``None`` when it does.

    The one place the kit decides *n/a*: from the row's declaration (its
    capability, whether it shows only in the warehouse, whether it reads
    the user's projects), the runtime's profile (the capabilities it has,
    what its harness cannot observe) and the session (``user_projects``:
    whether ``--floe-dbt-project`` gave any; ``chaos``: whether ``--floe-dbt-chaos``
    gave a seed).
    """
    if row.user_projects and not user_projects:
        return "no --floe-dbt-project was given: the kit certified on its own projects only"
    if row.chaos and not chaos:
        return (
            "no --floe-dbt-chaos seed was given: the remote conversation was certified "
            "under the remote.* rows' faults only"
        )
    for capability in row.capabilities:
        if capability not in profile.capabilities:
            return f"{capability.value}: {capability.absent_reason}"
    hidden = profile.unobservable.get(WAREHOUSE)
    if row.warehouse and hidden is not None:
        return f"{WAREHOUSE} not observable: {hidden}"
    return None
