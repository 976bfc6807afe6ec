"""The Admin API client against pytest-httpx: requests, parsing, retries and errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest
from cloud_helpers import ACCOUNT, API, BASE, TOKEN, FakeTime, run_payload, runs_page, step
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTAuthenticationError, DBTRemoteError
from floe_dbt_cloud.auth import TokenAuth
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.models import RunStatus, TriggerRunRequest
from floe_dbt_cloud.retry import RetryPolicy, parse_retry_after


@pytest.fixture
def client(fake_time: FakeTime) -> AdminApiClient:
    return AdminApiClient(BASE, ACCOUNT, SecretStr(TOKEN), sleep=fake_time.sleep)


def _error_body(code: int, message: str) -> dict[str, object]:
    return {
        "status": {
            "code": code,
            "is_success": False,
            "user_message": message,
            "developer_message": None,
        },
        "data": None,
    }


def test_trigger_run_posts_the_body_with_the_token_header(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/jobs/12/run/", json=run_payload(501, 1))
    run = client.trigger_run(
        12, TriggerRunRequest(cause="because", steps_override=["dbt run --select a"])
    )
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.content) == {
        "cause": "because",
        "steps_override": ["dbt run --select a"],
    }
    assert (run.id, run.status, run.job_definition_id) == (501, 1, 12)


def test_get_run_sends_include_related_as_one_comma_separated_string(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Clone Git Repository"), step(3, "Invoke dbt with `dbt run`", 3)]
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/runs/501/?include_related=run_steps%2Cjob",
        json=run_payload(501, 3, steps=steps),
    )
    run = client.get_run(501, include_related=("run_steps", "job"))
    assert [s.index for s in run.run_steps] == [1, 3]
    assert run.run_steps[1].name == "Invoke dbt with `dbt run`"
    assert not run.is_terminal


def test_cancel_list_and_artifacts(client: AdminApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/runs/7/cancel/", json=run_payload(7, 30))
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/runs/7/artifacts/",
        json={
            "status": {
                "code": 200,
                "is_success": True,
                "user_message": "",
                "developer_message": "",
            },
            "data": ["manifest.json", "run_results.json"],
        },
    )
    httpx_mock.add_response(
        method="GET", url=f"{API}/runs/7/artifacts/run_results.json?step=4", content=b'{"a": 1}'
    )
    assert client.cancel_run(7).status == 30
    assert client.list_artifacts(7) == ["manifest.json", "run_results.json"]
    assert client.get_artifact(7, "run_results.json", step=4) == b'{"a": 1}'
    methods = [(r.method, r.url.path) for r in httpx_mock.get_requests()]
    assert methods[0] == ("POST", f"/api/v2/accounts/{ACCOUNT}/runs/7/cancel/")


def test_list_runs_sends_the_filters_and_parses_the_page(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        method="GET",
        url=f"{API}/runs/?job_definition_id=11&order_by=-id&status=10&limit=1",
        json=runs_page(run_payload(640, 10, job_id=11), total_count=3),
    )
    page = client.list_runs(job_definition_id=11, status=RunStatus.SUCCESS, order_by="-id", limit=1)
    request = httpx_mock.get_request()
    assert request is not None
    assert (request.method, request.url.path, request.url.query.decode()) == (
        "GET",
        f"/api/v2/accounts/{ACCOUNT}/runs/",
        "job_definition_id=11&order_by=-id&status=10&limit=1",
    )
    assert request.content == b""
    assert request.headers["Authorization"] == f"Token {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert [(run.id, run.job_definition_id, run.status) for run in page.data] == [(640, 11, 10)]
    assert (page.extra.pagination.count, page.extra.pagination.total_count) == (1, 3)


def test_list_runs_defaults_and_offset(client: AdminApiClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{API}/runs/?order_by=id&limit=100&offset=200", json=runs_page(total_count=200)
    )
    page = client.list_runs(offset=200)
    assert page.data == []
    assert page.extra.pagination.total_count == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": 101}, "limit must be 1 to 100"),
        ({"limit": 0}, "limit must be 1 to 100"),
        ({"offset": -1}, "offset >= 0"),
        ({"order_by": "status"}, "order_by must be one of"),
    ],
)
def test_list_runs_refuses_what_dbt_cloud_would_refuse_before_sending(
    client: AdminApiClient, httpx_mock: HTTPXMock, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        client.list_runs(**options)  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


def test_a_list_without_pagination_is_a_clear_remote_error(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    body = runs_page(run_payload(640, 10))
    del body["extra"]
    httpx_mock.add_response(url=f"{API}/runs/?order_by=id&limit=100", json=body)
    with pytest.raises(DBTRemoteError, match=r"GET runs/.*expected shape.*extra"):
        client.list_runs()


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_retryable_statuses_are_retried_after_2_then_4_seconds(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime, status: int
) -> None:
    url = f"{API}/runs/9/?include_related=run_steps"
    httpx_mock.add_response(url=url, status_code=status, json=_error_body(status, "busy"))
    httpx_mock.add_response(url=url, status_code=status, json=_error_body(status, "busy"))
    httpx_mock.add_response(url=url, json=run_payload(9, 10))
    assert client.get_run(9).status == 10
    assert fake_time.sleeps == [2.0, 4.0]


def test_three_retries_then_the_error_names_status_attempts_and_message(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    for _ in range(4):
        httpx_mock.add_response(
            url=f"{API}/runs/9/cancel/", status_code=503, json=_error_body(503, "Deploying")
        )
    with pytest.raises(DBTRemoteError) as raised:
        client.cancel_run(9)
    assert fake_time.sleeps == [2.0, 4.0, 8.0]
    assert len(httpx_mock.get_requests()) == 4
    error = raised.value
    assert (error.status_code, error.run_id, error.user_message) == (503, 9, "Deploying")
    assert "after 4 attempts" in str(error)


def test_retry_after_is_honoured_and_capped(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    url = f"{API}/runs/9/?include_related=run_steps"
    httpx_mock.add_response(
        url=url, status_code=429, headers={"Retry-After": "17"}, json=_error_body(429, "slow")
    )
    httpx_mock.add_response(
        url=url, status_code=429, headers={"Retry-After": "86400"}, json=_error_body(429, "x")
    )
    httpx_mock.add_response(url=url, json=run_payload(9, 10))
    client.get_run(9)
    assert fake_time.sleeps == [17.0, RetryPolicy().max_retry_after]


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


def test_transport_errors_are_retried(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    url = f"{API}/runs/9/?include_related=run_steps"
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=url)
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=url)
    httpx_mock.add_response(url=url, json=run_payload(9, 10))
    assert client.get_run(9).status == 10
    assert fake_time.sleeps == [2.0, 4.0]


def test_transport_errors_exhausted_raise_a_remote_error(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime
) -> None:
    for _ in range(4):
        httpx_mock.add_exception(
            httpx.RemoteProtocolError("dropped"), url=f"{API}/runs/9/artifacts/"
        )
    with pytest.raises(DBTRemoteError, match=r"could not be reached .* after 4 attempts") as raised:
        client.list_artifacts(9)
    assert raised.value.run_id == 9
    assert isinstance(raised.value.__cause__, httpx.RemoteProtocolError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_never_retried(
    client: AdminApiClient, httpx_mock: HTTPXMock, fake_time: FakeTime, status: int
) -> None:
    httpx_mock.add_response(
        url=f"{API}/runs/9/cancel/", status_code=status, json=_error_body(status, "nope")
    )
    with pytest.raises(DBTRemoteError) as raised:
        client.cancel_run(9)
    assert len(httpx_mock.get_requests()) == 1
    assert fake_time.sleeps == []
    assert raised.value.status_code == status
    assert raised.value.user_message == "nope"
    assert isinstance(raised.value, DBTAuthenticationError) == (status in (401, 403))


def test_a_401_on_cloud_getdbt_com_points_at_the_access_url(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/runs/9/cancel/", status_code=401, json=_error_body(401, "Invalid token.")
    )
    with pytest.raises(DBTAuthenticationError) as raised:
        client.cancel_run(9)
    text = str(raised.value)
    assert "access URL" in text
    assert "base_url" in text
    assert "Invalid token." in text
    assert TOKEN not in text


def test_a_401_elsewhere_does_not_blame_the_access_url(httpx_mock: HTTPXMock) -> None:
    emea = AdminApiClient("https://emea.dbt.com/api/v2", ACCOUNT, SecretStr(TOKEN))
    httpx_mock.add_response(status_code=401, json=_error_body(401, "Invalid token."))
    with pytest.raises(DBTAuthenticationError) as raised:
        emea.cancel_run(1)
    assert "access URL" not in str(raised.value)


def test_null_data_error_body_and_non_json_error_body(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/runs/1/cancel/", status_code=404, json=_error_body(404, "Not found.")
    )
    httpx_mock.add_response(
        url=f"{API}/runs/2/cancel/", status_code=400, text="<html>bad gateway</html>"
    )
    with pytest.raises(DBTRemoteError, match="check account_id and job_ids"):
        client.cancel_run(1)
    with pytest.raises(DBTRemoteError) as raised:
        client.cancel_run(2)
    assert raised.value.user_message is None
    assert raised.value.status_code == 400


def test_malformed_json_and_wrong_shape_are_clear_errors(
    client: AdminApiClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{API}/runs/1/?include_related=run_steps", content=b'{"status": {"co'
    )
    httpx_mock.add_response(
        url=f"{API}/runs/2/?include_related=run_steps",
        json={"status": {"is_success": True}, "data": {"x": 1}},
    )
    with pytest.raises(DBTRemoteError, match="not JSON") as malformed:
        client.get_run(1)
    assert malformed.value.run_id == 1
    with pytest.raises(DBTRemoteError, match=r"expected shape \(data\.id: Field required") as shape:
        client.get_run(2)
    assert shape.value.status_code == 200


def test_the_token_is_in_no_repr() -> None:
    auth = TokenAuth(SecretStr(TOKEN))
    client = AdminApiClient(BASE, ACCOUNT, SecretStr(TOKEN))
    assert TOKEN not in repr(auth)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client._http.headers)  # the header is added per request only
