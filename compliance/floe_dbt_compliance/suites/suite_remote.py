"""The conversation with a remote service (REQ-088), for runtimes whose harness gives the service.

One project copy; a fault-free ``run_models()`` first, then, for each row,
one call with faults injected into the service (the harness's
:class:`~floe_dbt_compliance.remote_service.RemoteService`), reading the
service's request log of that call: the requests of each kind, their
answers, the faults they met and when they arrived (for polling, also
when the service ended the run). A call that ends with a
result must end as the fault-free call did (success and counts).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from floe_core.errors import DBTError, DBTExecutionTimeout
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.recorder import Call, read_json
from floe_dbt_compliance.remote_service import (
    CANCEL,
    POLL,
    TRIGGER,
    RemoteFault,
    RemoteRequest,
    RemoteService,
)
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns
from floe_dbt_compliance.scenarios import Scenario, step
from floe_dbt_compliance.status import not_applicable

#: REQ-088: three retries, 2 s, 4 s and 8 s apart.
BACKOFF = (2.0, 4.0, 8.0)
#: A Retry-After longer than the first backoff, so that ignoring it shows.
RETRY_AFTER = 3.0
#: What a clock read on two threads may differ by.
_SLACK = 0.05
#: How long the polled run stays queued, in poll intervals: a runtime that starts its
#: backoff at the interval and doubles it still polls five times (waits 1, 2, 4, 8).
QUEUED_INTERVALS = 8.0
#: Backoff means the waits grow: the last waits are at least this many times the first.
GROWTH = 1.5
SCENARIO = Scenario.on_fixture("remote", "healthy", step("run", "run_models"))


def outcome(call: Call) -> tuple[Any, ...]:
    """What must not change under faults: success and the counts."""
    result = call.returned()
    assert isinstance(result, DBTRunResult), f"{call.label} returned {type(result).__name__}"
    return (result.success, result.models_run, result.tests_run, result.failures)


@dataclass(frozen=True)
class Exchange:
    """One call under faults and what the service saw of it."""

    call: Call
    requests: list[RemoteRequest]
    runs_started: int

    def of(self, kind: str) -> list[RemoteRequest]:
        """The requests of one kind, in order."""
        return [request for request in self.requests if request.kind == kind]

    def shown(self) -> str:
        """The conversation, for an assertion message."""
        start = self.requests[0].received if self.requests else 0.0
        return ", ".join(
            f"{r.kind}@{r.received - start:.2f}s->{r.status}" + (f" [{r.fault}]" if r.fault else "")
            for r in self.requests
        )


class Conversation:
    """Drives one runtime's calls under faults and reads the service's log."""

    def __init__(self, run: ScenarioRun) -> None:
        remote = run.harness.remote
        assert remote is not None
        self.run = run
        self.service: RemoteService = remote

    @functools.cached_property
    def baseline(self) -> tuple[Any, ...]:
        """The fault-free call's outcome."""
        exchange = self.exchange("run_models() with no fault")
        assert exchange.runs_started == 1, (
            f"a fault-free run_models() started {exchange.runs_started} runs: {exchange.shown()}"
        )
        return outcome(exchange.call)

    def exchange(
        self, label: str, *faults: RemoteFault, plugin: DBTPlugin | None = None
    ) -> Exchange:
        """``run_models()`` with ``faults`` injected; the requests it made."""
        h = self.run.harness
        runtime = plugin or h.plugin
        self.service.clear()
        for fault in faults:
            self.service.inject(fault)
        seen, runs = len(self.service.requests()), self.service.runs_started()
        call = self.run.recorder.call(
            label, lambda: runtime.run_models(h.project_dir, h.profiles_dir, h.target)
        )
        self.service.clear()
        return Exchange(
            call, list(self.service.requests()[seen:]), self.service.runs_started() - runs
        )


@pytest.fixture(scope="module")
def conversation_of(floe_dbt_scenarios: ScenarioRuns) -> Callable[[], Conversation]:
    """The module's conversation, built on first use (one per module and runtime)."""
    return functools.cache(lambda: Conversation(floe_dbt_scenarios(SCENARIO)))


@pytest.fixture
def conversation(conversation_of: Callable[[], Conversation]) -> Conversation:
    """Function-scoped, so the row's gate runs first (no remote service, no build)."""
    return conversation_of()


def _retried(exchange: Exchange, kind: str) -> None:
    """Every request of ``kind`` that met a fault is followed by another of that kind."""
    requests = exchange.of(kind)
    for position, request in enumerate(requests):
        if request.fault is not None:
            assert position + 1 < len(requests), (
                f"the {kind} that met {request.fault} was never sent again: {exchange.shown()}"
            )


def _raised(exchange: Exchange, expected: type[BaseException]) -> None:
    error = exchange.call.error
    assert isinstance(error, expected), (
        f"{exchange.call.label} should raise {expected.__name__}, "
        f"got {exchange.call.value if error is None else repr(error)}: {exchange.shown()}"
    )


def _gaps(requests: Sequence[RemoteRequest]) -> list[float]:
    return [later.received - earlier.received for earlier, later in itertools.pairwise(requests)]


@requirement("remote.retries-transient")
def test_transient_failures_are_retried(conversation: Conversation) -> None:
    expected = conversation.baseline
    exchange = conversation.exchange(
        "run_models() with a 502 on the trigger, then a 503 and a dropped connection on polls",
        RemoteFault("status", TRIGGER, status=502),
        RemoteFault("status", POLL, status=503),
        RemoteFault("drop", POLL),
    )
    assert outcome(exchange.call) == expected, f"under faults: {exchange.shown()}"
    assert exchange.runs_started == 1, f"{exchange.runs_started} runs: {exchange.shown()}"
    assert [r.fault is not None for r in exchange.of(TRIGGER)] == [True, False], exchange.shown()
    _retried(exchange, POLL)
    assert sum(r.fault is not None for r in exchange.of(POLL)) == 2, exchange.shown()


@requirement("remote.no-retry-answers")
@pytest.mark.parametrize(("kind", "status"), [(TRIGGER, 401), (POLL, 404)])
def test_answers_are_not_retried(conversation: Conversation, kind: str, status: int) -> None:
    conversation.baseline  # noqa: B018 - the service must work before it is made to refuse
    exchange = conversation.exchange(
        f"run_models() with a {status} on the {kind}", RemoteFault("status", kind, status=status)
    )
    _raised(exchange, DBTError)
    refused = [r for r in exchange.of(kind) if r.fault is not None]
    assert len(refused) == 1, exchange.shown()
    assert exchange.of(kind)[-1] is refused[0], (
        f"the {kind} answered {status} was sent again: {exchange.shown()}"
    )


@requirement("remote.backoff")
def test_backoff(conversation: Conversation) -> None:
    conversation.baseline  # noqa: B018
    exchange = conversation.exchange(
        "run_models() with the trigger answered 503 four times",
        RemoteFault("status", TRIGGER, status=503, count=len(BACKOFF) + 1),
    )
    _raised(exchange, DBTError)
    triggers = exchange.of(TRIGGER)
    assert len(triggers) == len(BACKOFF) + 1, (
        f"{len(triggers)} triggers, not 1 + {len(BACKOFF)} retries: {exchange.shown()}"
    )
    for gap, least in zip(_gaps(triggers), BACKOFF, strict=True):
        assert gap >= least - _SLACK, (
            f"a retry came {gap:.2f} s after the failure, not the {least:g} s "
            f"REQ-088 says: {exchange.shown()}"
        )
    assert exchange.runs_started == 0, exchange.shown()


@requirement("remote.rate-limit")
def test_retry_after_is_honoured(conversation: Conversation) -> None:
    expected = conversation.baseline
    exchange = conversation.exchange(
        f"run_models() with a poll answered 429 Retry-After {RETRY_AFTER:g}",
        RemoteFault("status", POLL, status=429, retry_after=RETRY_AFTER),
    )
    assert outcome(exchange.call) == expected, exchange.shown()
    polls = exchange.of(POLL)
    limited = next(i for i, r in enumerate(polls) if r.fault is not None)
    assert limited + 1 < len(polls), f"the rate-limited poll was not sent again: {exchange.shown()}"
    gap = polls[limited + 1].received - polls[limited].received
    assert gap >= RETRY_AFTER - _SLACK, (
        f"the poll was sent again {gap:.2f} s after a 429 with Retry-After "
        f"{RETRY_AFTER:g}: {exchange.shown()}"
    )


@requirement("remote.timeout-cancels")
def test_timeout_cancels_the_remote_run(conversation: Conversation) -> None:
    conversation.baseline  # noqa: B018
    impatient = conversation.run.harness.another(**conversation.service.timeout_options)
    exchange = conversation.exchange(
        "run_models() on an instance with a short timeout, the run never finishing",
        RemoteFault("run_never_finishes"),
        plugin=impatient,
    )
    _raised(exchange, DBTExecutionTimeout)
    assert exchange.runs_started == 1, exchange.shown()
    cancels = [r for r in exchange.of(CANCEL) if r.status == 200]
    assert cancels, f"the run that timed out was not cancelled on the service: {exchange.shown()}"
    assert cancels[0].received > exchange.of(TRIGGER)[0].received, exchange.shown()


@requirement("remote.trigger-once")
def test_a_lost_trigger_answer_starts_no_second_run(conversation: Conversation) -> None:
    expected = conversation.baseline
    exchange = conversation.exchange(
        "run_models() with the trigger's answer lost after the run started",
        RemoteFault("lose_answer", TRIGGER),
    )
    assert exchange.runs_started == 1, (
        f"{exchange.runs_started} runs started for one call: {exchange.shown()}"
    )
    assert outcome(exchange.call) == expected, exchange.shown()


def _entry_of(root: Path, exchange: Exchange) -> tuple[str, str, dict[str, Any]]:
    """The run the call's trigger started, its job, and that run's cache metadata."""
    started = [r for r in exchange.of(TRIGGER) if r.status == 200 and r.run is not None]
    assert len(started) == 1, f"no single run started by the call: {exchange.shown()}"
    run, job = started[0].run, started[0].job
    assert run is not None, "the service names no run"
    assert job is not None, "the service names no job"
    metadata = root / run / "metadata.json"
    assert metadata.is_file(), (
        f"no cache entry {run}/ for run {run} the call started: "
        f"{sorted(p.name for p in root.iterdir()) if root.is_dir() else 'no cache root'}"
    )
    return run, job, read_json(metadata)


@requirement("remote.cache-identity")
def test_a_cache_entry_is_the_run_the_call_started(conversation: Conversation) -> None:
    root = conversation.run.harness.cache_root
    if root is None:
        not_applicable(
            f"{Capability.ARTIFACT_CACHE.value}: {Capability.ARTIFACT_CACHE.absent_reason}"
        )
    entries = []
    for label in ("run_models() whose run is cached", "run_models() again: a run of its own"):
        exchange = conversation.exchange(label)
        exchange.call.returned()
        run, job, metadata = _entry_of(Path(root), exchange)
        assert str(metadata.get("run_id")) == run, (
            f"entry {run}/ says run_id {metadata.get('run_id')!r}, not the run {run} started"
        )
        assert str(metadata.get("job_id")) == job, (
            f"entry {run}/ says job_id {metadata.get('job_id')!r}, but job {job} ran run {run}"
        )
        entries.append(run)
    assert entries[0] != entries[1], f"two calls, one run: {entries}"


def _polls_of(exchange: Exchange, service: RemoteService) -> tuple[str, list[RemoteRequest]]:
    """The run the call started, and the requests from its trigger to the poll that saw it end.

    At most one poll may arrive after the service ended the run (the poll that
    learnt it); the requests returned stop at that poll.
    """
    started = [r for r in exchange.requests if r.kind == TRIGGER and r.run is not None]
    assert len(started) == 1, f"no single run started by the call: {exchange.shown()}"
    run = started[0].run
    assert run is not None, "the service names no run"
    ended = service.finished(run)
    assert ended is not None, f"run {run} never ended on the service: {exchange.shown()}"
    after = [r for r in exchange.requests if r.received > started[0].received]
    polls = [r for r in after if r.kind == POLL]
    assert polls, f"run {run} was never polled: {exchange.shown()}"
    # Both times are the service's clock; a poll that arrived before the end and was
    # answered after it saw the end too, so at most one poll may arrive after it.
    late = [r for r in polls if r.received > ended]
    assert len(late) <= 1, (
        f"{len(late)} polls of run {run} arrived after it ended; the first one that saw "
        f"it over should have been the last: {exchange.shown()}"
    )
    last = late[0] if late else polls[-1]
    return run, [r for r in after if r.received <= last.received]


@requirement("remote.polling")
def test_polling_backs_off_on_the_run_and_stops_when_it_ends(conversation: Conversation) -> None:
    expected = conversation.baseline
    service = conversation.service
    interval = service.poll_interval
    polling = conversation.run.harness.another(**service.poll_options)
    exchange = conversation.exchange(
        f"run_models() on an instance polling every {interval:g} s at most, the run "
        f"queued {QUEUED_INTERVALS * interval:g} s",
        RemoteFault("run_stays_queued", seconds=QUEUED_INTERVALS * interval),
        plugin=polling,
    )
    assert outcome(exchange.call) == expected, exchange.shown()
    run, waiting = _polls_of(exchange, service)
    others = [r for r in waiting if r.kind != POLL or r.run != run]
    assert not others, (
        f"while run {run} was not over, the runtime asked for something else than "
        f"GET runs/{run}/ (the poll of that run): "
        + ", ".join(f"{r.kind} {r.method} {r.path}" for r in others)
        + f": {exchange.shown()}"
    )
    # The waits the runtime chose: from one poll's answer to the next poll, so a slow
    # answer (the service is busy running dbt) does not count as the runtime's wait.
    gaps = [
        later.received - (earlier.received if earlier.answered is None else earlier.answered)
        for earlier, later in itertools.pairwise(waiting)
    ]
    assert len(gaps) >= 4, (
        f"{len(waiting)} polls in the {QUEUED_INTERVALS * interval:g} s and more run {run} "
        f"was not over: {exchange.shown()}"
    )
    # No pairwise "never shrinks" check: a wait is the runtime's plus however late the
    # scheduler woke it (the emulator runs dbt in the same process), so one late wake-up
    # makes the next, on-time wait look shorter. Lateness only ever adds, so growth is
    # checked on the median of the last waits against the first.
    # The median of the last three waits: one slow answer cannot make a fixed rate grow.
    # And the shorter of the first two: a first wake-up the scheduler delayed cannot
    # make a backoff look flat.
    last, first = sorted(gaps[-3:])[1], min(gaps[:2])
    grew = last >= GROWTH * first and last >= first + interval / 4
    assert grew, (
        f"the waits between polls did not grow (first {first:.2f} s, last ones "
        f"{', '.join(f'{g:.2f}' for g in gaps[-3:])} s): polling at a fixed rate is "
        f"not exponential backoff: {exchange.shown()}"
    )
