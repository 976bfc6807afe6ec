"""Chaos lists the faults that fired, read from the emulator's log; a seed replays them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cloud_helpers import Served
from floe_dbt_compliance.chaos import CALLS, LIFECYCLE_CALLS, Fired, plan, sequence

from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import COMMANDS
from floe_dbt_cloud_emulator.kit_remote import EmulatedService

SEED = 7
#: The reference runtime has the lifecycle capability: chaos makes its seed and build calls too.
NAMES = CALLS + LIFECYCLE_CALLS


def _storm(served: Served, seed: int, starts: list[int]) -> dict[str, tuple[Any, Fired]]:
    """The chaos sequence on ``served``; ``starts`` gets where each call's log begins."""
    plugin = served.plugin(poll_interval_seconds=0.2)
    copy = served.copy

    def call(name: str) -> Any:
        starts.append(len(served.emulator.requests))
        method = getattr(plugin, COMMANDS[name].method)
        return method(copy.project_dir, copy.profiles_dir, copy.target)

    return sequence(EmulatedService(served.emulator), seed, call, NAMES)


def _without_calls(fired: Fired) -> list[tuple[Any, ...]]:
    return [(f["fault"], f["method"], f["path"], f["attempt"]) for f in fired]


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_listed_faults_are_those_the_emulator_log_saw_and_a_seed_replays_them(
    serve: Callable[..., Served],
) -> None:
    first = serve()
    starts: list[int] = []
    calls = _storm(first, SEED, starts)
    fired = [fault for _, listed in calls.values() for fault in listed]
    # The emulator's own log, read independently of the kit's view of it; an attempt
    # counts the requests to the same method and path since the call began.
    entries = first.emulator.requests.entries()
    logged = [
        (
            fault,
            entry.method,
            entry.path,
            sum(
                (e.method, e.path) == (entry.method, entry.path)
                for e in entries[max(b for b in starts if b <= i) : i + 1]
            ),
        )
        for i, entry in enumerate(entries)
        for fault in (entry.fault, entry.run_fault)
        if fault is not None
    ]
    assert _without_calls(fired) == logged
    assert {f["call"] for f in fired} == set(NAMES)
    # Every planned fault fired (each plan hits one request of a kind the call makes).
    assert len(fired) == len(plan(SEED, NAMES)), (fired, plan(SEED, NAMES))
    for name, (result, _) in calls.items():
        assert not isinstance(result, DBTRunResult) or result.success, (name, result)
    # A fault on a retry shows as a later attempt (a run queued by the retried trigger).
    assert {f["attempt"] for f in fired} >= {1}, fired

    replay = _storm(serve(), SEED, [])
    assert _without_calls([f for _, listed in replay.values() for f in listed]) == (
        _without_calls(fired)
    )
    for name in NAMES:
        assert [f["call"] for f in replay[name][1]] == [name] * len(replay[name][1])
