"""Chaos: seeded random faults a correct remote runtime must survive (``--floe-dbt-chaos SEED``).

The plan is a pure function of the seed and the calls: for each call of the
chaos sequence (compile, run, test; then seed and build for a runtime with
the lifecycle capability, :data:`LIFECYCLE_CALLS`), a few faults on distinct
kinds of request, each hitting one request once — what a correct runtime
survives by retrying, honouring ``Retry-After``, finding a run whose trigger
answer was lost and waiting for a run that stays queued. The same seed gives
the same plan on every machine and xdist worker, so the certificate can
record it and a failure replays. What the plan meant is not what happened:
:func:`injected` reads, from the service's request log, every fault that
fired, and the certificate lists those.

Examples:
    >>> plan(7) == plan(7)
    True
    >>> sorted({call for call, _ in plan(7)})
    ['compile', 'run', 'test']
    >>> sorted({call for call, _ in plan(7, CALLS + LIFECYCLE_CALLS)})
    ['build', 'compile', 'run', 'seed', 'test']
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from floe_core.vocabulary import BUILD, CONTRACT_COMMANDS, SEED
from floe_dbt_compliance.remote_service import (
    ARTIFACT,
    POLL,
    TRIGGER,
    RemoteFault,
    RemoteRequest,
    RemoteService,
)

__all__ = ["CALLS", "LIFECYCLE_CALLS", "Fired", "describe", "injected", "plan", "sequence"]

#: The faults that fired during a call (:func:`injected`).
Fired = list[dict[str, str | int]]
R = TypeVar("R")

#: The calls of the chaos sequence, in order: the contract's commands, by dbt's name.
CALLS = tuple(command.name for command in CONTRACT_COMMANDS)
#: The lifecycle calls chaos adds after :data:`CALLS` for a runtime that has them.
LIFECYCLE_CALLS = (SEED.name, BUILD.name)

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


def plan(seed: int, calls: Sequence[str] = CALLS) -> list[tuple[str, RemoteFault]]:
    """The faults of the chaos sequence for ``seed``: ``(call, fault)`` in injection order.

    ``calls`` starts with :data:`CALLS`; the faults drawn for those are the same
    whatever follows (only the faults added so that every kind is met go to the
    last call).

    Each call meets two to four faults on distinct kinds of request; every
    kind is met at least once over the sequence (the run call always meets an
    artifact fault), so each seed exercises every class of fault.
    """
    rng = random.Random(seed)  # noqa: S311 - a replayable plan, not a secret
    kinds = list(_MENU)
    faults: list[tuple[str, RemoteFault]] = []
    for call in calls:
        chosen = set(rng.sample(kinds, rng.randint(2, len(kinds))))
        if call == CALLS[1]:  # the run: its artifacts are what a runtime most often fetches
            chosen.add(ARTIFACT)
        faults += [(call, rng.choice(_MENU[kind])) for kind in kinds if kind in chosen]
    met = {fault.request or "run" for _, fault in faults}
    for kind in kinds:
        if kind not in met:
            faults.append((calls[-1], rng.choice(_MENU[kind])))
    return faults


def describe(seed: int, calls: Sequence[str] = CALLS) -> str:
    """The seed and its plan, as the certificate records them."""
    planned = plan(seed, calls)
    return f"seed {seed}: " + "; ".join(f"{call}: {fault.describe()}" for call, fault in planned)


def sequence(
    service: RemoteService,
    seed: int | None,
    call: Callable[[str], R],
    names: Sequence[str] = CALLS,
) -> dict[str, tuple[R, Fired]]:
    """Make each call of the sequence with its planned faults; what it gave and what fired.

    Args:
        service: The runtime's remote service.
        seed: The chaos seed; None makes the calls with no fault.
        call: Makes the named call (``compile`` ...) and returns what it gave.
        names: The calls, in order (:data:`CALLS`, then :data:`LIFECYCLE_CALLS` if any).
    """
    faults = plan(seed, names) if seed is not None else []
    calls: dict[str, tuple[R, Fired]] = {}
    for name in names:
        service.clear()
        for planned, fault in faults:
            if planned == name:
                service.inject(fault)
        seen = len(service.requests())
        given = call(name)
        service.clear()
        calls[name] = (given, injected(name, service.requests()[seen:]))
    return calls


def injected(call: str, requests: Sequence[RemoteRequest]) -> Fired:
    """Every fault that fired during one call, as the service logged it, in order.

    Args:
        call: The call of the chaos sequence (``compile``, ``run`` ...).
        requests: The service's log of that call's requests, in order.

    Returns:
        One entry per fault: the call, the fault as the service describes it,
        the kind of request, its method and path, and its attempt (the how-
        many-th request of the call to that method and path it was). A run
        fault (a run kept queued) is listed on the trigger that started the run.

    Examples:
        >>> log = [RemoteRequest("poll", 0.0, None, "drop", method="GET", path="/runs/1/"),
        ...        RemoteRequest("poll", 1.0, 200, method="GET", path="/runs/1/")]
        >>> injected("run", log)
        [{'call': 'run', 'fault': 'drop', 'request': 'poll', 'method': 'GET', \
'path': '/runs/1/', 'attempt': 1}]
    """
    attempts: Counter[tuple[str, str]] = Counter()
    fired: Fired = []
    for request in requests:
        attempts[request.method, request.path] += 1
        for fault in (request.fault, request.run_fault):
            if fault is not None:
                fired.append(
                    {
                        "call": call,
                        "fault": fault,
                        "request": request.kind,
                        "method": request.method,
                        "path": request.path,
                        "attempt": attempts[request.method, request.path],
                    }
                )
    return fired
