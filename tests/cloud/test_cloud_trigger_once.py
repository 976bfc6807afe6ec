"""A trigger whose answer is lost never starts a second dbt Cloud run (hardening, row 2).

Before the fix, a POST whose answer was lost after dbt Cloud had created the
run was simply sent again: a second run started, and the first was neither
reported nor cancelled. Now every trigger carries a unique ``cause``; before a
trigger is retried the job's newest runs are searched for that cause, and a
run found is adopted instead of starting another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cloud_helpers import (
    ACCOUNT,
    API,
    BASE,
    TOKEN,
    FakeTime,
    PacedSleep,
    Served,
    run_payload,
    runs_page,
    unit_plugin,
)
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTRemoteError
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.invocation import trigger_cause
from floe_dbt_cloud.models import TriggerRunRequest

TRIGGER = f"{API}/jobs/12/run/"
LOOKUP = f"{API}/runs/?job_definition_id=12&order_by=-id&limit=100&include_related=trigger"
CAUSE = "floe-dbt: dbt run [0123456789abcdef0123456789abcdef]"


@pytest.fixture
def client(fake_time: FakeTime) -> AdminApiClient:
    return AdminApiClient(BASE, ACCOUNT, SecretStr(TOKEN), sleep=fake_time.sleep)


def _trigger(client: AdminApiClient) -> int:
    return client.trigger_run(12, TriggerRunRequest(cause=CAUSE)).id


def _calls(httpx_mock: HTTPXMock) -> list[tuple[str, str]]:
    prefix = f"/api/v2/accounts/{ACCOUNT}/"
    return [(r.method, r.url.path.removeprefix(prefix)) for r in httpx_mock.get_requests()]


@pytest.mark.parametrize(
    "lost",
    [
        httpx.ReadTimeout("answer lost"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
    ids=type,
)
def test_a_run_started_by_a_lost_trigger_is_adopted_not_started_again(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime, lost: Exception
) -> None:
    httpx_mock.add_exception(lost, method="POST", url=TRIGGER)
    # Newest first: someone else's run of the job, ours, and an older one of ours' job.
    httpx_mock.add_response(
        url=LOOKUP,
        json=runs_page(
            run_payload(703, 1, cause="scheduled by dbt Cloud"),
            run_payload(702, 3, cause=CAUSE),
            run_payload(650, 10, cause="floe-dbt: dbt run [ffff]"),
        ),
    )
    assert _trigger(client) == 702
    assert _calls(httpx_mock) == [("POST", "jobs/12/run/"), ("GET", "runs/")]
    assert fake_time.sleeps == []  # adopted at once, no retry wait


def test_a_5xx_after_which_no_run_exists_is_retried_with_the_same_cause(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    httpx_mock.add_response(method="POST", url=TRIGGER, status_code=502)
    httpx_mock.add_response(url=LOOKUP, json=runs_page(run_payload(650, 10, cause="other")))
    httpx_mock.add_response(method="POST", url=TRIGGER, json=run_payload(704, 1))
    assert _trigger(client) == 704
    posts = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    assert [json.loads(r.content)["cause"] for r in posts] == [CAUSE, CAUSE]
    assert _calls(httpx_mock) == [
        ("POST", "jobs/12/run/"),
        ("GET", "runs/"),
        ("POST", "jobs/12/run/"),
    ]
    assert fake_time.sleeps == [2.0]


@pytest.mark.parametrize(
    "refused",
    [httpx.ConnectError("connection refused"), httpx.ConnectTimeout("no connection"), 429],
    ids=["ConnectError", "ConnectTimeout", "429"],
)
def test_a_trigger_that_never_reached_the_api_is_retried_without_a_search(
    client: AdminApiClient, httpx_mock: HTTPXMock, refused: Exception | int
) -> None:
    if isinstance(refused, int):
        httpx_mock.add_response(method="POST", url=TRIGGER, status_code=refused)
    else:
        httpx_mock.add_exception(refused, method="POST", url=TRIGGER)
    httpx_mock.add_response(method="POST", url=TRIGGER, json=run_payload(705, 1))
    assert _trigger(client) == 705
    assert _calls(httpx_mock) == [("POST", "jobs/12/run/"), ("POST", "jobs/12/run/")]


def test_runs_of_other_jobs_or_causes_are_never_adopted(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("lost"), method="POST", url=TRIGGER)
    # A listing that ignored the job filter, and a run without its trigger.
    httpx_mock.add_response(
        url=LOOKUP,
        json=runs_page(run_payload(801, 1, job_id=99, cause=CAUSE), run_payload(800, 1)),
    )
    httpx_mock.add_response(method="POST", url=TRIGGER, json=run_payload(802, 1))
    assert _trigger(client) == 802


def test_when_the_search_fails_no_second_trigger_is_sent_and_the_cause_is_named(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("lost"), method="POST", url=TRIGGER)
    httpx_mock.add_response(url=LOOKUP, status_code=403)
    with pytest.raises(DBTRemoteError) as raised:
        _trigger(client)
    message = str(raised.value)
    assert "the answer to POST jobs/12/run/ was lost (ReadTimeout)" in message
    assert f"with cause {CAUSE!r}" in message
    assert raised.value.status_code == 403
    assert [m for m, _ in _calls(httpx_mock)].count("POST") == 1


def test_after_the_last_lost_answer_the_run_is_still_searched_for(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    for _ in range(4):
        httpx_mock.add_response(method="POST", url=TRIGGER, status_code=503)
    for _ in range(3):
        httpx_mock.add_response(url=LOOKUP, json=runs_page())
    httpx_mock.add_response(url=LOOKUP, json=runs_page(run_payload(900, 3, cause=CAUSE)))
    assert _trigger(client) == 900
    assert fake_time.sleeps == [2.0, 4.0, 8.0]


def test_a_persistent_5xx_is_an_error_after_four_triggers_and_four_searches(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    for _ in range(4):
        httpx_mock.add_response(method="POST", url=TRIGGER, status_code=503)
        httpx_mock.add_response(url=LOOKUP, json=runs_page())
    with pytest.raises(DBTRemoteError, match="after 4 attempts"):
        _trigger(client)


def test_each_trigger_gets_its_own_short_secret_free_cause(
    tmp_path: Path, fake_time: FakeTime
) -> None:
    causes = {trigger_cause("run") for _ in range(1000)}
    assert len(causes) == 1000
    assert all(re.fullmatch(r"floe-dbt: dbt run \[[0-9a-f]{32}\]", c) for c in causes)
    assert max(len(trigger_cause("snapshot")) for _ in range(10)) <= 255
    plugin = unit_plugin(tmp_path, fake_time)
    assert TOKEN not in trigger_cause("run") + repr(plugin)


# -- against the emulator over real HTTP --------------------------------------


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_lost_trigger_answer_leaves_exactly_one_run_the_one_reported(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    emulator = served.emulator
    emulator.faults.lose_response_next(1, route="trigger_run")
    plugin = served.plugin(sleep=paced_sleep)
    copy = served.copy
    result = plugin.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="raw_customers"
    )
    emulator.wait_for_runs(timeout=60)
    [run] = emulator.runs.values()
    assert result.metadata["run_id"] == run.id
    assert (result.success, result.models_run) == (True, 1)
    assert run.status == 10  # it ran to the end: nothing is left running
    routes = emulator.counters.requests_by_route
    assert (routes["trigger_run"], routes["list_runs"]) == (1, 1)
    assert emulator.counters.runs_triggered == 1
    assert emulator.counters.cancels_received == 0
    assert run.cause.startswith("floe-dbt: dbt run [")
    assert sorted(p.name for p in served.cache_dir.iterdir()) == [str(run.id)]
