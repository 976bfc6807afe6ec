"""The observable outcome of one call, and the differences between two of them.

An :class:`Observation` holds what the contract makes observable: the
contract error raised, if any; the result's counts; each executed node's
status in ``run_results.json``; the manifest's nodes (and, after a compile,
which were compiled); the lifecycle counts; and the warehouse. The runtime
under test and the reference are observed the same way, and
:func:`compare` lists every :class:`Difference` between them, named so a
vendor can find it (``node model.healthy.customers``, ``relation
main.fct_orders rows`` ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTError,
    DBTExecutionError,
)

__all__ = [
    "ASPECTS",
    "Difference",
    "Observation",
    "compare",
    "compiled_ids",
    "contract_error",
    "manifest_ids",
    "node_statuses",
]

ASPECTS = ("raised", "counts", "nodes", "manifest", "compiled", "lifecycle", "warehouse")
# Most specific first: a DBTExecutionTimeout or DBTRemoteError is a DBTExecutionError.
_CONTRACT_ERRORS: tuple[type[DBTError], ...] = (
    DBTConfigurationError,
    DBTCompilationError,
    DBTArtifactNotFoundError,
    DBTExecutionError,
    DBTError,
)
_SHOWN = 8
_MESSAGE_LIMIT = 240


def contract_error(error: BaseException) -> str:
    """The contract's error class an exception is an instance of (its name).

    Subclasses compare as their contract class (a ``DBTRemoteError`` is a
    ``DBTExecutionError``); anything outside the contract keeps its own name,
    so it differs from every answer the reference gives.
    """
    for cls in _CONTRACT_ERRORS:
        if isinstance(error, cls):
            return cls.__name__
    return f"{type(error).__name__} (not a floe DBTError)"


def node_statuses(run_results: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``unique_id -> status`` of every node in a ``run_results.json``."""
    if run_results is None:
        return None
    return {
        str(result.get("unique_id")): str(result.get("status", "")).lower()
        for result in run_results.get("results") or []
        if isinstance(result, Mapping)
    }


def manifest_ids(manifest: Mapping[str, Any] | None) -> list[str] | None:
    """The nodes, unit tests and sources a ``manifest.json`` defines."""
    if manifest is None:
        return None
    ids: set[str] = set()
    for section in ("nodes", "unit_tests", "sources"):
        ids.update(manifest.get(section) or {})
    return sorted(ids)


def compiled_ids(manifest: Mapping[str, Any] | None) -> list[str] | None:
    """The nodes of a manifest that hold compiled SQL (what ``dbt compile`` adds)."""
    if manifest is None:
        return None
    nodes = manifest.get("nodes") or {}
    return sorted(key for key, node in nodes.items() if (node or {}).get("compiled_code"))


@dataclass(frozen=True)
class Observation:
    """What one call made observable (``None``: not observed, or nothing to observe)."""

    raised: str | None = None
    message: str = ""
    counts: dict[str, Any] | None = None
    nodes: dict[str, str] | None = None
    manifest: list[str] | None = None
    compiled: list[str] | None = None
    lifecycle: dict[str, Any] | None = None
    warehouse: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        """For the reference store."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Observation:
        """Read back what :meth:`as_json` wrote."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in document.items() if key in known})


@dataclass(frozen=True)
class Difference:
    """One way the runtime's observation differs from the reference's."""

    what: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.what}: reference {_shown(self.expected)}, runtime {_shown(self.got)}"

    def as_json(self) -> dict[str, Any]:
        """For the certificate."""
        return {"what": self.what, "expected": self.expected, "got": self.got}


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return repr(value)


def _keyed(what: str, expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[Difference]:
    return [
        Difference(f"{what} {key}", expected.get(key, "absent"), got.get(key, "absent"))
        for key in sorted(set(expected) | set(got))
        if expected.get(key, "absent") != got.get(key, "absent")
    ]


def _sets(what: str, expected: Iterable[str], got: Iterable[str]) -> list[Difference]:
    want, have = set(expected), set(got)
    found = [Difference(f"{what} {key}", "present", "absent") for key in sorted(want - have)]
    found += [Difference(f"{what} {key}", "absent", "present") for key in sorted(have - want)]
    return found


def _relations(expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[Difference]:
    found = []
    for name in sorted(set(expected) | set(got)):
        want, have = expected.get(name), got.get(name)
        if want is None or have is None:
            found.append(
                Difference(
                    f"relation {name}",
                    "present" if want else "absent",
                    "present" if have else "absent",
                )
            )
            continue
        for part in ("kind", "rows", "current", "digest", "error"):
            if want.get(part) != have.get(part):
                shown = "rows differ" if part == "digest" else None
                found.append(
                    Difference(
                        f"relation {name} {part}",
                        want.get(part) if shown is None else "its rows",
                        have.get(part) if shown is None else "other rows",
                    )
                )
    return found


def _warehouses(
    expected: Mapping[str, Any] | None, got: Mapping[str, Any] | None
) -> list[Difference]:
    """``None`` is nothing there (dbt never opened the file, never created the schema)."""
    found = []
    if (expected is None) != (got is None):
        found.append(
            Difference(
                "warehouse",
                "nothing" if expected is None else "something",
                "nothing" if got is None else "something",
            )
        )
    return found + _relations(expected or {}, got or {})


def _raised(observation: Observation, otherwise: str) -> str:
    # The message tells a vendor why (a 401, a missing profile); the class alone does not.
    if observation.raised is None:
        return otherwise
    message = " ".join(observation.message.split())
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 3] + "..."
    return f"{observation.raised} ({message})" if message else observation.raised


def _unobserved(what: str, expected: Any, got: Any) -> list[Difference] | None:
    if expected is None and got is None:
        return []
    if got is None:
        return [Difference(what, "observed", "could not be read")]
    if expected is None:
        return [Difference(what, "nothing", "something")]
    return None


def compare(
    expected: Observation, got: Observation, aspects: Iterable[str] = ASPECTS
) -> list[Difference]:
    """Every difference between the reference's observation and the runtime's.

    An exception that differs is the only difference reported: nothing else
    of the two calls is comparable. When both raised the same error only the
    warehouse is compared (a refused call must leave it as it was).

    Args:
        expected: The reference's observation.
        got: The runtime's.
        aspects: Which parts to compare (a subset of :data:`ASPECTS`).
    """
    wanted = set(aspects)
    if "raised" in wanted and expected.raised != got.raised:
        return [
            Difference(
                "exception",
                _raised(expected, "none (a result)"),
                _raised(got, "none (it returned)"),
            )
        ]
    if expected.raised is not None:
        wanted &= {"warehouse"}
    found: list[Difference] = []
    for aspect in ASPECTS:
        if aspect not in wanted or aspect == "raised":
            continue
        want, have = getattr(expected, aspect), getattr(got, aspect)
        if aspect == "warehouse":
            found += _warehouses(want, have)
            continue
        unobserved = _unobserved(aspect, want, have)
        if unobserved is not None:
            found += unobserved
        elif aspect in ("counts", "lifecycle"):
            found += _keyed(aspect.removesuffix("s") if aspect == "counts" else aspect, want, have)
        elif aspect == "nodes":
            found += _keyed("node", want, have)
        elif aspect in ("manifest", "compiled"):
            found += _sets(f"{aspect} node", want, have)
    return found


def summarise(differences: list[Difference], limit: int = _SHOWN) -> str:
    """The first differences, one per line, and how many more there are."""
    lines = [str(difference) for difference in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"... and {len(differences) - limit} more")
    return "; ".join(lines)
