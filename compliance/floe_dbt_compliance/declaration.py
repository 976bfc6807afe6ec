"""How a promise declares itself, once: a :class:`Requirement` (a certificate row).

A row says everything the kit derives from it: its key, text and source,
the spec requirements it proves, the :class:`~floe_dbt_compliance.capabilities.Capability`
it needs, what it observes (:class:`Observes`), the scenario steps it reads
and whether its promise shows only in the warehouse. From that alone the
suites parametrise their checks, the gate decides n/a
(:func:`floe_dbt_compliance.requirements.not_applicable_reason`), the
catalogue page is written and the kit's own tests know which steps each
broken runtime's session runs. A row that contradicts itself (a step its
scenario does not have, a lifecycle step without the lifecycle capability)
is refused when it is declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.errors import CatalogueError, ScenarioError
from floe_dbt_compliance.observe import ASPECTS
from floe_dbt_compliance.scenarios import Scenario, Step

__all__ = ["Observes", "Reads", "Requirement", "Unchecked"]

#: Steps of scenarios: ``((scenario, (step key, ...)), ...)``.
Reads = tuple[tuple[Scenario, tuple[str, ...]], ...]


class Observes(str, Enum):
    """What a row's checks look at; it decides where the row runs and what it costs."""

    RUNTIME = "runtime"
    """The runtime itself (its class, signatures, metadata, repr): no dbt runs."""
    STEPS = "steps"
    """The recorded calls of the steps it reads: results, artifacts, spans, logs, errors, files."""
    ORACLE = "oracle"
    """The steps it reads, each compared with the reference's outcome of the same step."""
    SEQUENCE = "sequence"
    """Calls of its own: concurrent batches, cache stages, generated projects."""


@dataclass(frozen=True)
class Requirement:
    """One promise a runtime makes, and one row of the certificate.

    Attributes:
        key: Stable identifier, ``<area>.<what>``.
        title: What a runtime that keeps the promise does, in one sentence.
        source: Where the promise is written (spec, docstring, guide).
        req_ids: The spec requirements it proves (``REQ-086`` ...).
        capability: The capability it needs, or ``None`` when every runtime must keep it.
        observes: What its checks look at.
        reads: The fixture-scenario steps its checks read (``STEPS`` and
            ``ORACLE`` rows): the suites perform exactly these.
        aspects: What an ``ORACLE`` row compares with the reference (a subset
            of :data:`~floe_dbt_compliance.observe.ASPECTS`).
        warehouse: Its promise shows only in the warehouse: *n/a* where the
            harness cannot observe it, rather than passed on the rest.
        user_projects: Its checks run on the user's own projects
            (``--floe-dbt-project``): *n/a* in a session that gives none.
        chaos: Its checks run only with ``--floe-dbt-chaos SEED``: *n/a* without.
        observed: What its checks observe and how, when the generic account
            (:meth:`how`) would say too little (the faults a row injects and
            what of the service's request log it reads).
    """

    key: str
    title: str
    source: str
    req_ids: tuple[str, ...]
    capability: Capability | None = None
    observes: Observes = Observes.STEPS
    reads: Reads = ()
    aspects: tuple[str, ...] = ASPECTS
    warehouse: bool = False
    user_projects: bool = False
    chaos: bool = False
    observed: str = ""

    def __post_init__(self) -> None:
        area, _, what = self.key.partition(".")
        problems = [] if area and what else ["its key is not <area>.<what>"]
        if self.observes in (Observes.STEPS, Observes.ORACLE):
            if not self.reads:
                problems.append(f"an {self.observes.value} row reads steps: give reads=")
        elif self.reads:
            problems.append(f"a {self.observes.value} row reads no fixture-scenario steps")
        unknown = sorted(set(self.aspects) - set(ASPECTS))
        if unknown:
            problems.append(f"aspects {unknown} are not among {ASPECTS}")
        if self.warehouse and self.observes is not Observes.ORACLE:
            problems.append("only an oracle row compares the warehouse")
        if self.user_projects and self.observes is not Observes.SEQUENCE:
            problems.append("a row on the user's projects runs a sequence of its own")
        if self.chaos and self.capability is not Capability.REMOTE_SERVICE:
            problems.append("a chaos row injects faults into a remote service: it needs one")
        try:
            steps = list(self.steps())
        except ScenarioError as exc:
            problems.append(str(exc))
            steps = []
        needed = sorted({name for s in steps for name in s.needs} - {str(self.capability)})
        if self.capability is None and needed:
            problems.append(f"a mandatory row reads steps that need {', '.join(needed)}")
        if problems:
            raise CatalogueError(f"row {self.key!r}: {'; '.join(problems)}")

    @property
    def area(self) -> str:
        """The part of the key before the dot (``run``, ``lifecycle`` ...)."""
        return self.key.partition(".")[0]

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        """Every capability it needs: its own first, then those its steps need.

        A fail-fast row that reads a ``build`` step needs the lifecycle
        capability too; the gate makes it *n/a* without either.
        """
        own = () if self.capability is None else (self.capability,)
        by_name = {capability.value: capability for capability in Capability}
        steps = sorted({by_name[name] for s in self.steps() for name in s.needs} - set(own))
        return (*own, *steps)

    @property
    def mandatory(self) -> bool:
        """Whether every runtime must keep it."""
        return self.capability is None

    def steps(self) -> Iterator[Step]:
        """The steps it reads, in its declaration's order.

        Raises:
            ScenarioError: A step its scenario does not have.
        """
        for scenario, keys in self.reads:
            for key in keys:
                yield scenario.steps[scenario.index(key)]

    def how(self) -> str:
        """How the kit checks it, in a few words (for the catalogue page)."""
        if self.observed:
            return self.observed
        where = "; ".join(f"{scenario.name}: {', '.join(keys)}" for scenario, keys in self.reads)
        if self.observes is Observes.ORACLE:
            shown = "compared with plain dbt-core" + (" (warehouse)" if self.warehouse else "")
            return f"{shown} on {where}"
        if self.observes is Observes.STEPS:
            return f"checked on the calls of {where}"
        if self.observes is Observes.RUNTIME:
            return "checked on the runtime, without running dbt"
        if self.user_projects:
            return "compared with plain dbt-core on the projects given with --floe-dbt-project"
        return "checked on a sequence of calls of its own"


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
