"""The optional capabilities a runtime may have, named once (as dbt-adapters' ``Capability``).

A row of the catalogue that depends on a capability is *n/a* for a runtime
without it (SQLAlchemy's ``SuiteRequirements`` is the model). Which
capabilities a runtime has is decided once, when the kit probes it
(:func:`decide`, called by :func:`floe_dbt_compliance.profile.probe`), from
what the probe saw: the runtime's class, its answer to
``supports_parallel_execution()`` and what its harness names. Everything
that asks afterwards reads the set on the
:class:`~floe_dbt_compliance.profile.RuntimeProfile`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from pathlib import Path

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.run_flags import DBTFailFast, DBTStateSelection

__all__ = ["Capability", "decide"]


class Capability(str, Enum):
    """An optional behaviour of a runtime; rows gated on it are n/a without it.

    Each member's value is its stable name (in certificates and the
    catalogue page); ``doc`` says what having it means, ``absent_reason`` why
    the gated rows do not apply without it.
    """

    doc: str
    absent_reason: str

    def __new__(cls, value: str, doc: str, absent_reason: str) -> Capability:
        """Make a member from its ``(value, doc, absent_reason)`` declaration."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.doc = doc
        member.absent_reason = absent_reason
        return member

    SERIALISED_EXECUTION = (
        "serialised_execution",
        "The runtime says False to supports_parallel_execution() (or cannot say): it must "
        "serialise every invocation of every instance (REQ-093).",
        "the runtime supports parallel execution, so it need not serialise",
    )
    PARALLEL_EXECUTION = (
        "parallel_execution",
        "The runtime says True to supports_parallel_execution(): concurrent invocations "
        "must each complete correctly.",
        "the runtime does not support parallel execution (it serialises instead)",
    )
    ARTIFACT_CACHE = (
        "artifact_cache",
        "The runtime keeps a local artifact cache (REQ-092); its harness names the cache "
        "root (RuntimeHarness.cache_root).",
        "the runtime has no artifact cache (its harness gives no cache_root)",
    )
    LIFECYCLE = (
        "lifecycle",
        "The runtime subclasses floe_core.lifecycle.DBTLifecycle: seed, snapshot, build "
        "and with_vars, plus vars on each.",
        "the runtime does not declare the lifecycle capability (it does not subclass "
        "floe_core.lifecycle.DBTLifecycle); it is compliant without it",
    )
    FAIL_FAST = (
        "fail_fast",
        "The runtime subclasses floe_core.run_flags.DBTFailFast: with_fail_fast() binds "
        "--fail-fast (dbt's -x) to every invocation.",
        "the runtime does not declare the fail-fast capability (it does not subclass "
        "floe_core.run_flags.DBTFailFast); it is compliant without it",
    )
    STATE = (
        "state",
        "The runtime subclasses floe_core.run_flags.DBTStateSelection: with_state() binds "
        "--state (state: selectors) and --defer to every invocation.",
        "the runtime does not declare the state capability (it does not subclass "
        "floe_core.run_flags.DBTStateSelection); it is compliant without it",
    )
    REMOTE_SERVICE = (
        "remote_service",
        "The runtime runs dbt on a remote service, and its harness gives the kit that service "
        "(RuntimeHarness.remote): faults are injected into it and its request log is read, "
        "to check the conversation REQ-088 promises (retries, backoff, Retry-After, "
        "cancelling on timeout, one run per call).",
        "the harness gives no remote service (RuntimeHarness.remote): the runtime runs dbt "
        "itself, or its service cannot be driven",
    )
    SECRETS = (
        "secrets",
        "The runtime holds secrets, and its harness names them (RuntimeHarness.secrets) so "
        "the kit can look for them where they must never be.",
        "the harness names no secret for this runtime (RuntimeHarness.secrets)",
    )

    def __str__(self) -> str:
        return str(self.value)


def decide(
    runtime_class: type[DBTPlugin],
    *,
    parallel: bool | None,
    cache_root: Path | None,
    secrets: Sequence[str],
    remote: bool = False,
) -> frozenset[Capability]:
    """The capabilities a runtime has, from what the kit's probe saw.

    Args:
        runtime_class: The class of the harness's runtime.
        parallel: Its answer to ``supports_parallel_execution()`` (``None``
            when it did not answer a bool: it must then serialise).
        cache_root: The cache root its harness names, if any.
        secrets: The secrets its harness names.
        remote: Whether its harness gives the remote service it talks to.
    """
    found = {Capability.PARALLEL_EXECUTION if parallel is True else Capability.SERIALISED_EXECUTION}
    if cache_root is not None:
        found.add(Capability.ARTIFACT_CACHE)
    declared = {
        Capability.LIFECYCLE: DBTLifecycle,
        Capability.FAIL_FAST: DBTFailFast,
        Capability.STATE: DBTStateSelection,
    }
    if issubclass(runtime_class, DBTPlugin):
        found.update(name for name, mixin in declared.items() if issubclass(runtime_class, mixin))
    if secrets:
        found.add(Capability.SECRETS)
    if remote:
        found.add(Capability.REMOTE_SERVICE)
    return frozenset(found)
