"""Polling with backoff, and timeout-then-cancel, on a fake clock (no real sleeping)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from cloud_helpers import FakeTime

from floe_core.errors import DBTExecutionTimeout, DBTRemoteError
from floe_dbt_cloud.models import Run, RunStatus
from floe_dbt_cloud.polling import backoff_delays, wait_for_run


def _run(status: int) -> Run:
    return Run(id=5, account_id=1, job_definition_id=2, status=status)


@dataclass
class ScriptedApi:
    """Answers get_run from a script of statuses (or exceptions) and records cancels."""

    script: list[int | BaseException]
    polls: int = 0
    cancels: list[int] = field(default_factory=list)
    cancel_fails: bool = False

    def get_run(self, run_id: int, *, include_related: tuple[str, ...] = ("run_steps",)) -> Run:
        item = self.script[min(self.polls, len(self.script) - 1)]
        self.polls += 1
        if isinstance(item, BaseException):
            raise item
        return _run(item)

    def cancel_run(self, run_id: int) -> Run:
        self.cancels.append(run_id)
        if self.cancel_fails:
            raise DBTRemoteError("cancel failed", status_code=500)
        return _run(RunStatus.CANCELLED)


def test_backoff_starts_at_an_eighth_and_is_capped_at_the_interval() -> None:
    delays = backoff_delays(5.0)
    assert [next(delays) for _ in range(6)] == [0.625, 1.25, 2.5, 5.0, 5.0, 5.0]


def test_polls_until_terminal_with_backoff(fake_time: FakeTime) -> None:
    api = ScriptedApi([1, 2, 3, 3, 3, 10])
    run = wait_for_run(
        api, 5, poll_interval=8, timeout=100, sleep=fake_time.sleep, clock=fake_time.clock
    )
    assert run.status == RunStatus.SUCCESS
    assert api.polls == 6
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert api.cancels == []


@pytest.mark.parametrize("terminal", [RunStatus.ERROR, RunStatus.CANCELLED])
def test_error_and_cancelled_are_terminal_too(fake_time: FakeTime, terminal: RunStatus) -> None:
    api = ScriptedApi([3, int(terminal)])
    run = wait_for_run(
        api, 5, poll_interval=1, timeout=10, sleep=fake_time.sleep, clock=fake_time.clock
    )
    assert run.status == terminal


def test_timeout_cancels_the_run_and_never_sleeps_past_the_deadline(fake_time: FakeTime) -> None:
    api = ScriptedApi([3])
    with pytest.raises(
        DBTExecutionTimeout, match=r"run 5 did not finish within timeout_seconds=30"
    ) as raised:
        wait_for_run(
            api, 5, poll_interval=8, timeout=30, sleep=fake_time.sleep, clock=fake_time.clock
        )
    assert api.cancels == [5]
    assert "it was cancelled" in str(raised.value)
    assert sum(fake_time.sleeps) == pytest.approx(30.0)
    assert fake_time.sleeps[-1] <= 8.0


def test_timeout_says_when_the_cancel_failed(fake_time: FakeTime) -> None:
    api = ScriptedApi([3], cancel_fails=True)
    with pytest.raises(DBTExecutionTimeout, match="cancel request failed"):
        wait_for_run(
            api, 5, poll_interval=1, timeout=3, sleep=fake_time.sleep, clock=fake_time.clock
        )
    assert api.cancels == [5]


@pytest.mark.parametrize(
    "failure", [DBTRemoteError("poll failed", status_code=503), KeyboardInterrupt()]
)
def test_a_failed_or_interrupted_wait_cancels_the_run(
    fake_time: FakeTime, failure: BaseException
) -> None:
    api = ScriptedApi([3, failure])
    with pytest.raises(type(failure)):
        wait_for_run(
            api, 5, poll_interval=1, timeout=100, sleep=fake_time.sleep, clock=fake_time.clock
        )
    assert api.cancels == [5]
