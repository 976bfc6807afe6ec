"""The emulator as the kit's remote service: faults by what a request is for, the log by kind."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from floe_dbt_compliance.remote_service import (
    OTHER,
    POLL,
    TRIGGER,
    RemoteFault,
    RemoteService,
)

from floe_dbt_cloud_emulator import DbtCloudEmulator, EmulatedProject
from floe_dbt_cloud_emulator.kit_remote import EmulatedService


def test_faults_hit_the_kind_of_request_named_and_the_log_says_so(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    service = EmulatedService(stub_emulator, timeout_seconds=2.5)
    assert isinstance(service, RemoteService)
    assert service.timeout_options == {"timeout_seconds": 2.5}
    service.inject(RemoteFault("status", POLL, status=429, retry_after=3))
    run = _trigger(stub_api, stub_served).json()["data"]
    limited = stub_api.get(f"runs/{run['id']}/")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert stub_api.get(f"runs/{run['id']}/").status_code == 200
    stub_api.get("runs/").raise_for_status()
    logged = service.requests()
    assert [(r.kind, r.status, r.fault) for r in logged] == [
        (TRIGGER, 200, None),
        (POLL, 429, "status 429 Retry-After 3"),
        (POLL, 200, None),
        (OTHER, 200, None),
    ]
    assert service.runs_started() == 1


def test_clear_forgets_faults_not_yet_used(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    service = EmulatedService(stub_emulator)
    service.inject(RemoteFault("status", TRIGGER, status=503, count=2))
    service.clear()
    assert _trigger(stub_api, stub_served).status_code == 200


def test_a_queued_run_starts_only_after_its_wait(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    EmulatedService(stub_emulator).inject(RemoteFault("run_stays_queued", seconds=0.5))
    run = _trigger(stub_api, stub_served).json()["data"]
    stub_emulator.wait_for_runs()
    record = stub_emulator.get_run(run["id"])
    assert record.status == 10
    assert record.started_at is not None
    waited = datetime.fromisoformat(record.started_at) - datetime.fromisoformat(record.created_at)
    assert waited.total_seconds() >= 0.5


def test_the_service_says_when_a_run_ended_on_the_log_clock(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    service = EmulatedService(stub_emulator, poll_interval=0.5)
    assert (service.poll_interval, service.poll_options) == (0.5, {"poll_interval_seconds": 0.5})
    run = _trigger(stub_api, stub_served).json()["data"]
    stub_emulator.wait_for_runs()
    ended = service.finished(str(run["id"]))
    assert ended is not None
    stub_api.get(f"runs/{run['id']}/").raise_for_status()
    trigger, poll = service.requests()
    assert (trigger.method, trigger.path) == (
        "POST",
        f"/api/v2/accounts/7/jobs/{run['job_definition_id']}/run/",
    )
    assert trigger.received < ended < poll.received
    for request in (trigger, poll):
        assert request.answered is not None
        assert request.received <= request.answered
    assert trigger.answered is not None
    assert trigger.answered <= poll.received
    assert service.finished("999999") is None


def test_a_fault_on_a_request_it_cannot_name_is_refused(stub_emulator: DbtCloudEmulator) -> None:
    with pytest.raises(ValueError, match="cannot inject a fault on 'other' requests"):
        EmulatedService(stub_emulator).inject(RemoteFault("drop", OTHER))


def test_faults_describe_themselves_for_the_certificate() -> None:
    assert RemoteFault("status", POLL, status=429, retry_after=1).describe() == (
        "HTTP 429 Retry-After 1 on poll"
    )
    assert RemoteFault("drop", TRIGGER, count=2).describe() == "drop on trigger x2"
    assert RemoteFault("run_stays_queued", seconds=2).describe() == "run queued 2 s"
    assert RemoteFault("lose_answer", TRIGGER).describe() == "lose answer on trigger"


def _trigger(api: httpx.Client, served: EmulatedProject) -> httpx.Response:
    return api.post(f"jobs/{served.job_ids['run']}/run/", json={"cause": "c"})
