"""The requirement catalogue: what the kit certifies, and the optional capabilities.

Every kit test is bound to exactly one catalogue entry with :func:`requirement`;
the certificate has one row per entry. An entry may depend on a named,
documented :class:`Capability` (SQLAlchemy's ``SuiteRequirements`` is the
model): when the runtime lacks it the test is reported as *n/a* with the
capability's reason, never silently passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from floe_dbt_compliance.harness import RuntimeProfile

__all__ = [
    "CAPABILITIES",
    "NOT_APPLICABLE_PREFIX",
    "REQUIREMENTS",
    "Capability",
    "Requirement",
    "requirement",
]

NOT_APPLICABLE_PREFIX = "[n/a] "
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


def _serialised(profile: RuntimeProfile) -> bool:
    # Not "is False": a runtime that cannot answer must serialise, and is checked.
    return profile.parallel is not True


def _parallel(profile: RuntimeProfile) -> bool:
    return profile.parallel is True


def _artifact_cache(profile: RuntimeProfile) -> bool:
    return profile.has_cache


CAPABILITIES: dict[str, Capability] = {
    capability.name: capability
    for capability in (
        Capability(
            "serialised_execution",
            "The runtime says False to supports_parallel_execution(): it must serialise every "
            "invocation of every instance (REQ-093).",
            _serialised,
            "the runtime supports parallel execution, so it need not serialise",
        ),
        Capability(
            "parallel_execution",
            "The runtime says True to supports_parallel_execution(): concurrent invocations "
            "must each complete correctly.",
            _parallel,
            "the runtime does not support parallel execution (it serialises instead)",
        ),
        Capability(
            "artifact_cache",
            "The runtime keeps a local artifact cache (REQ-092); its harness names the cache "
            "root (RuntimeHarness.cache_root).",
            _artifact_cache,
            "the runtime has no artifact cache (its harness gives no cache_root)",
        ),
    )
}


@dataclass(frozen=True)
class Requirement:
    """One row of the certificate.

    Attributes:
        key: Stable identifier, ``<suite>.<what>``.
        req_ids: The spec requirements it proves (``REQ-086`` ...).
        title: What a passing runtime does, in one sentence.
        capability: The capability it depends on, or ``None`` when mandatory.
    """

    key: str
    req_ids: tuple[str, ...]
    title: str
    capability: str | None = None

    @property
    def mandatory(self) -> bool:
        """Whether every runtime must meet it."""
        return self.capability is None


def _catalogue(*entries: Requirement) -> dict[str, Requirement]:
    return {entry.key: entry for entry in entries}


REQUIREMENTS: dict[str, Requirement] = _catalogue(
    Requirement("contract.subclass", ("REQ-086",), "subclasses DBTPlugin, nothing abstract left"),
    Requirement(
        "contract.signatures",
        ("REQ-086",),
        "the seven methods have the ABC's parameters, defaults and return annotations",
    ),
    Requirement(
        "contract.entry-point", ("REQ-086", "REQ-094"), "registered under the floe.dbt group"
    ),
    Requirement(
        "contract.compile",
        ("REQ-086",),
        "compile_project returns an existing manifest.json holding the fixture's nodes",
    ),
    Requirement(
        "contract.run-all",
        ("REQ-086",),
        "run_models() runs every model: exact models_run and tables in the warehouse",
    ),
    Requirement(
        "contract.run-exclude",
        ("REQ-086",),
        "run_models(exclude=...) leaves the excluded model alone",
    ),
    Requirement(
        "contract.run-select",
        ("REQ-086",),
        "run_models(select=...) runs only the selected model, incrementally",
    ),
    Requirement(
        "contract.run-full-refresh",
        ("REQ-086",),
        "run_models(full_refresh=True) rebuilds incremental models from scratch",
    ),
    Requirement(
        "contract.test-pass",
        ("REQ-086",),
        "run_tests() on a healthy project: exact counts, success",
    ),
    Requirement(
        "contract.test-fail",
        ("REQ-086",),
        "a failing data test is a failed result with exact counts, not an exception",
    ),
    Requirement(
        "contract.sql-error",
        ("REQ-086",),
        "a model whose SQL fails is a failed result; its downstream model is skipped",
    ),
    Requirement(
        "contract.unparseable",
        ("REQ-086",),
        "an unparseable project raises DBTCompilationError from compile, run and test",
    ),
    Requirement(
        "contract.result-paths",
        ("REQ-086",),
        "DBTRunResult paths exist, counts match run_results.json, execution time > 0",
    ),
    Requirement(
        "contract.latest-artifacts",
        ("REQ-086",),
        "get_manifest / get_run_results return the latest invocation's artifacts",
    ),
    Requirement(
        "contract.metadata",
        ("REQ-086",),
        "get_runtime_metadata has a type, is JSON-serialisable and holds no credential",
    ),
    Requirement(
        "contract.spans", ("REQ-086", "REQ-087"), "every invocation emits a floe.dbt.<command> span"
    ),
    Requirement(
        "concurrency.serialised",
        ("REQ-093",),
        "10 concurrent runs across two instances are serialised and all succeed",
        "serialised_execution",
    ),
    Requirement(
        "concurrency.parallel",
        ("REQ-093",),
        "10 concurrent runs all complete correctly",
        "parallel_execution",
    ),
    Requirement(
        "cache.layout",
        ("REQ-092",),
        "cache entries are <root>/<run_id>/ with the artifacts and metadata.json fields",
        "artifact_cache",
    ),
    Requirement(
        "cache.hit", ("REQ-092",), "a hit within the TTL makes no remote call", "artifact_cache"
    ),
    Requirement(
        "cache.expiry",
        ("REQ-092",),
        "an entry older than the TTL is fetched again and cached_at moves",
        "artifact_cache",
    ),
    Requirement(
        "cache.corrupt",
        ("REQ-092",),
        "a corrupt entry is a miss and is fetched again, never a crash",
        "artifact_cache",
    ),
    Requirement(
        "cache.disabled",
        ("REQ-092",),
        "FLOE_DISABLE_CACHE=true: the cache is neither read nor written",
        "artifact_cache",
    ),
    Requirement(
        "cache.no-cache",
        ("REQ-092",),
        "an instance built with no_cache=True bypasses the cache and refreshes it",
        "artifact_cache",
    ),
    Requirement(
        "cache.no-secret", ("REQ-092",), "no secret is written to the cache", "artifact_cache"
    ),
    Requirement(
        "cache.private",
        ("REQ-092",),
        "cache directories and files are private to the user (0700/0600)",
        "artifact_cache",
    ),
)


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
    if key not in REQUIREMENTS:
        raise KeyError(f"{key!r} is not in the floe-dbt requirement catalogue")
    marker: pytest.MarkDecorator = getattr(pytest.mark, MARKER)(key)
    return marker


def not_applicable_reason(entry: Requirement, profile: RuntimeProfile) -> str | None:
    """Say why a requirement does not apply to a runtime, or ``None`` when it does."""
    if entry.capability is None:
        return None
    capability = CAPABILITIES[entry.capability]
    if capability.present(profile):
        return None
    return f"{capability.name}: {capability.absent_reason}"
