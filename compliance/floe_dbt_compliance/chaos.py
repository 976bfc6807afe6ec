"""Chaos: seeded random faults a correct remote runtime must survive (``--floe-dbt-chaos SEED``).

The plan is a pure function of the seed: for each call of the chaos sequence
(compile, run, test), a few faults on distinct kinds of request, each hitting
one request once — what a correct runtime survives by retrying, honouring
``Retry-After``, finding a run whose trigger answer was lost and waiting for
a run that stays queued. The same seed gives the same plan on every machine
and xdist worker, so the certificate can record it and a failure replays.

Examples:
    >>> plan(7) == plan(7)
    True
    >>> sorted({call for call, _ in plan(7)})
    ['compile', 'run', 'test']
"""

from __future__ import annotations

import random

from floe_core.vocabulary import CONTRACT_COMMANDS
from floe_dbt_compliance.remote_service import ARTIFACT, POLL, TRIGGER, RemoteFault

__all__ = ["CALLS", "describe", "plan"]

#: The calls of the chaos sequence, in order: the contract's commands, by dbt's name.
CALLS = tuple(command.name for command in CONTRACT_COMMANDS)

# What a correct runtime must survive, by the kind of request it hits. Retry-After is short
# (the rate-limit row checks it is honoured); slow answers stay well inside HTTP timeouts.
_MENU: dict[str, tuple[RemoteFault, ...]] = {
    TRIGGER: (
        RemoteFault("status", TRIGGER, status=503),
        RemoteFault("status", TRIGGER, status=429, retry_after=1),
        RemoteFault("drop", TRIGGER),
        RemoteFault("lose_answer", TRIGGER),
    ),
    POLL: (
        RemoteFault("status", POLL, status=502),
        RemoteFault("status", POLL, status=429, retry_after=1),
        RemoteFault("drop", POLL),
        RemoteFault("lose_answer", POLL),
        RemoteFault("slow", POLL, seconds=1.0),
    ),
    ARTIFACT: (
        RemoteFault("status", ARTIFACT, status=503),
        RemoteFault("drop", ARTIFACT),
        RemoteFault("lose_answer", ARTIFACT),
        RemoteFault("slow", ARTIFACT, seconds=1.0),
    ),
    "run": (
        RemoteFault("run_stays_queued", seconds=1.0),
        RemoteFault("run_stays_queued", seconds=2.0),
    ),
}


def plan(seed: int) -> list[tuple[str, RemoteFault]]:
    """The faults of the chaos sequence for ``seed``: ``(call, fault)`` in injection order.

    Each call meets two to four faults on distinct kinds of request; every
    kind is met at least once over the sequence (the run call always meets an
    artifact fault), so each seed exercises every class of fault.
    """
    rng = random.Random(seed)  # noqa: S311 - a replayable plan, not a secret
    kinds = list(_MENU)
    faults: list[tuple[str, RemoteFault]] = []
    for call in CALLS:
        chosen = set(rng.sample(kinds, rng.randint(2, len(kinds))))
        if call == CALLS[1]:  # the run: its artifacts are what a runtime most often fetches
            chosen.add(ARTIFACT)
        faults += [(call, rng.choice(_MENU[kind])) for kind in kinds if kind in chosen]
    met = {fault.request or "run" for _, fault in faults}
    for kind in kinds:
        if kind not in met:
            faults.append((CALLS[-1], rng.choice(_MENU[kind])))
    return faults


def describe(seed: int) -> str:
    """The seed and its plan, as the certificate records them."""
    return f"seed {seed}: " + "; ".join(f"{call}: {fault.describe()}" for call, fault in plan(seed))
