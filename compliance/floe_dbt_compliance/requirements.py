"""Requirements, capabilities, and how a kit test is bound to its row.

The rows themselves are the promise catalogue, :mod:`floe_dbt_compliance.catalogue`
(which imports this module).
Every kit test is bound to exactly one row with :func:`requirement`; the
certificate has one row per requirement. A requirement may depend on a
named, documented :class:`Capability` (SQLAlchemy's ``SuiteRequirements``
is the model): when the runtime lacks it the row is *n/a* with the
capability's reason, never silently passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from floe_dbt_compliance.profile import RuntimeProfile

__all__ = [
    "MARKER",
    "Capability",
    "Requirement",
    "Unchecked",
    "not_applicable_reason",
    "requirement",
]

MARKER = "floe_dbt_requirement"


@dataclass(frozen=True)
class Capability:
    """An optional behaviour a runtime may have; requirements gated on it are n/a without it.

    Attributes:
        name: The property name tests are gated by (``artifact_cache`` ...).
        doc: What having it means, for the certificate.
        present: Decides from the runtime's profile whether it has the capability.
        absent_reason: Why the gated requirements do not apply when it does not.
    """

    name: str
    doc: str
    present: Callable[[RuntimeProfile], bool]
    absent_reason: str


@dataclass(frozen=True)
class Requirement:
    """One promise a runtime makes, and one row of the certificate.

    Attributes:
        key: Stable identifier, ``<area>.<what>``.
        req_ids: The spec requirements it proves (``REQ-086`` ...).
        title: What a runtime that keeps the promise does, in one sentence.
        source: Where the promise is written (spec, docstring, guide).
        capability: The capability it depends on, or ``None`` when mandatory.
    """

    key: str
    req_ids: tuple[str, ...]
    title: str
    source: str
    capability: str | None = None

    @property
    def mandatory(self) -> bool:
        """Whether every runtime must meet it."""
        return self.capability is None


@dataclass(frozen=True)
class Unchecked:
    """A promise the kit does not check, and why (the catalogue says so instead of pretending).

    Attributes:
        promise: The promise, in a sentence.
        source: Where it is written.
        reason: Why a kit cannot check it on a runtime it has never seen, and
            where it is checked instead.
    """

    promise: str
    source: str
    reason: str


def requirement(key: str) -> pytest.MarkDecorator:
    """Bind a kit test to a catalogue entry.

    Args:
        key: A key of :data:`REQUIREMENTS`.

    Returns:
        The marker that binds the test; the certificate row of ``key`` takes
        its outcome.

    Raises:
        KeyError: ``key`` is not in the catalogue (a typo would otherwise lose a row).
    """
    from floe_dbt_compliance.catalogue import REQUIREMENTS

    if key not in REQUIREMENTS:
        raise KeyError(f"{key!r} is not in the floe-dbt requirement catalogue")
    marker: pytest.MarkDecorator = getattr(pytest.mark, MARKER)(key)
    return marker


def not_applicable_reason(entry: Requirement, profile: RuntimeProfile) -> str | None:
    """Say why a requirement does not apply to a runtime, or ``None`` when it does."""
    from floe_dbt_compliance.catalogue import CAPABILITIES

    if entry.capability is None:
        return None
    capability = CAPABILITIES[entry.capability]
    if capability.present(profile):
        return None
    return f"{capability.name}: {capability.absent_reason}"
