"""REQ-093: one invocation at a time per process, whatever the instance; a waiter can time out."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from opentelemetry.sdk.trace import ReadableSpan

from floe_core.errors import DBTExecutionTimeout
from floe_core.plugin_interfaces import DBTRunResult
from floe_dbt_local import LocalDBTPlugin, LockHolder

pytestmark = pytest.mark.integration


class _Subclass(LocalDBTPlugin):
    """A subclass must share the lock too (it is a class attribute, not per class)."""


@pytest.mark.timeout(300)
def test_ten_threads_across_two_instances_all_succeed_and_never_overlap(
    project: Callable[[str], ProjectCopy], spans: Callable[[], list[ReadableSpan]]
) -> None:
    copies = [project("healthy"), project("failing_test")]
    runtimes = [LocalDBTPlugin(lock_timeout_seconds=240), _Subclass(lock_timeout_seconds=240)]
    start = threading.Barrier(10)

    def run(index: int) -> DBTRunResult:
        copy, runtime = copies[index % 2], runtimes[index % 2]
        start.wait()
        return runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(run, range(10)))

    assert [r.success for r in results] == [True] * 10
    assert [r.models_run for r in results] == [5, 2] * 5
    assert len({r.metadata["invocation_id"] for r in results}) == 10
    invocations = sorted(
        (span for span in spans() if span.name == "floe.dbt.run"),
        key=lambda span: span.start_time or 0,
    )
    assert len(invocations) == 10
    for earlier, later in itertools.pairwise(invocations):
        assert earlier.end_time is not None
        assert later.start_time is not None
        assert earlier.end_time <= later.start_time, "two dbt invocations overlapped"


@pytest.fixture
def held_lock() -> tuple[threading.Thread, threading.Event]:
    """Hold the class-level lock from another thread until the test releases it."""
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with LocalDBTPlugin.invocation_lock.hold("run", Path("/projects/held"), timeout_seconds=30):
            acquired.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold, name="lock-holder")
    holder.start()
    assert acquired.wait(timeout=30)
    return holder, release


@pytest.mark.timeout(60)
def test_a_waiter_times_out_naming_the_holder(
    held_lock: tuple[threading.Thread, threading.Event],
    project: Callable[[str], ProjectCopy],
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    holder, release = held_lock
    copy = project("healthy")
    try:
        for runtime in (LocalDBTPlugin(lock_timeout_seconds=0.05), _Subclass(0.05)):
            with pytest.raises(DBTExecutionTimeout) as raised:
                runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)
            message = str(raised.value)
            assert "`dbt run` on /projects/held" in message
            assert "'lock-holder'" in message
            assert "has held it for" in message
            assert str(copy.project_dir) in message
    finally:
        release.set()
        holder.join(timeout=30)
    # The waiter never got the lock, so it opened no span.
    assert spans() == []
    # Once released, the same runtime runs.
    result = LocalDBTPlugin(lock_timeout_seconds=60).run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="raw_customers"
    )
    assert result.models_run == 1


@pytest.mark.timeout(120)
def test_the_lock_is_held_while_dbt_runs(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("healthy")
    seen: list[LockHolder | None] = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(LocalDBTPlugin.invocation_lock.holder)

    handler = Spy()
    logger = logging.getLogger("floe_dbt_local.events")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target, select="raw_orders")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert seen, "no dbt event reached logging"
    assert all(h is not None and h.command == "run" for h in seen)
    assert {h.project_dir for h in seen if h is not None} == {copy.project_dir}
    assert LocalDBTPlugin.invocation_lock.holder is None
