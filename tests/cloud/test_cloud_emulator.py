"""The emulator's HTTP contract, in-process (a stub executor stands in for dbt here).

What dbt really does through the emulator is covered by the integration tests;
these check the API surface: envelopes, status codes, validation, step-aware
artifacts, the status walk, Discovery's schema, counters and faults.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from cloud_helpers import StubExecutor
from floe_dbt_compliance.projects import ProjectCopy
from pydantic import SecretStr

from floe_core.errors import DBTArtifactNotFoundError
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import (
    IN_PROCESS_BASE_URL,
    IN_PROCESS_DISCOVERY_URL,
    DbtCloudEmulator,
    DbtStep,
    EmulatedProject,
    StepOutcome,
)
from floe_dbt_cloud_emulator.runs import RunRecord

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def emulator(stub_emulator: DbtCloudEmulator) -> DbtCloudEmulator:
    return stub_emulator


@pytest.fixture
def project(stub_served: EmulatedProject) -> EmulatedProject:
    return stub_served


@pytest.fixture
def api(stub_api: httpx.Client) -> httpx.Client:
    return stub_api


def _finished_run(
    emulator: DbtCloudEmulator, api: httpx.Client, job_id: int, **body: object
) -> int:
    response = api.post(f"jobs/{job_id}/run/", json={"cause": "test", **body})
    assert response.status_code == 200, response.text
    run_id = int(response.json()["data"]["id"])
    emulator.wait_for_runs()
    return run_id


def test_trigger_answers_a_queued_run_in_the_envelope(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    response = api.post(f"jobs/{project.job_ids['run']}/run/", json={"cause": "because"})
    body = response.json()
    assert body["status"] == {
        "code": 200,
        "is_success": True,
        "user_message": "Success!",
        "developer_message": "",
    }
    run = body["data"]
    assert (run["status"], run["job_definition_id"], run["environment_id"]) == (
        1,
        project.job_ids["run"],
        project.environment_id,
    )
    assert "finished_at" not in run  # the document allows no null: unknown is absent
    assert run["in_progress"] is True
    assert emulator.counters.runs_triggered == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "cause"),
        ({"cause": ""}, "cause"),
        ({"cause": 5}, "cause"),
        ({"cause": "c", "steps_override": "dbt run"}, "steps_override"),
        ({"cause": "c", "steps_override": [""]}, "steps_override.0"),
        ({"cause": "c", "threads_override": "4"}, "threads_override"),
    ],
)
def test_trigger_refuses_what_the_api_document_refuses(
    project: EmulatedProject, api: httpx.Client, body: dict[str, object], field: str
) -> None:
    response = api.post(f"jobs/{project.job_ids['run']}/run/", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["status"]["is_success"] is False
    assert field in payload["data"]


def test_a_body_that_is_not_json_is_a_400(project: EmulatedProject, api: httpx.Client) -> None:
    response = api.post(
        f"jobs/{project.job_ids['run']}/run/",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_unknown_fields_are_ignored_as_by_the_real_api(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    run_id = _finished_run(emulator, api, project.job_ids["run"], unknown_field=1)
    assert emulator.get_run(run_id).status == 10


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "Authentication credentials were not provided."),
        ({"Authorization": "Token wrong"}, 401, "Invalid token."),
        ({"Authorization": "Basic t0k3n"}, 401, "Invalid token."),
        ({"Authorization": "Bearer t0k3n"}, 200, "Success!"),
    ],
)
def test_token_check(
    emulator: DbtCloudEmulator,
    project: EmulatedProject,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    with httpx.Client(
        base_url=f"{IN_PROCESS_BASE_URL}/accounts/7/", transport=emulator.transport()
    ) as client:
        response = client.post(
            f"jobs/{project.job_ids['run']}/run/", json={"cause": "c"}, headers=headers
        )
    assert response.status_code == status
    assert response.json()["status"]["user_message"] == message
    if status == 401:
        assert response.json()["data"] is None


def test_another_account_is_forbidden_and_unknown_objects_are_404(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    assert api.get(f"{IN_PROCESS_BASE_URL}/accounts/8/runs/1001/").status_code == 403
    assert api.get(f"{IN_PROCESS_BASE_URL}/accounts/8/runs/").status_code == 403
    assert api.get("runs/424242/").status_code == 404
    assert api.post("jobs/999/run/", json={"cause": "c"}).status_code == 404
    assert api.get("jobs/999/artifacts/manifest.json").status_code == 404
    assert api.post("runs/424242/cancel/").status_code == 404


def test_a_run_walks_its_statuses_and_names_its_steps(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    run_id = _finished_run(
        emulator, api, project.job_ids["run"], steps_override=["dbt run --select a", "dbt test"]
    )
    plain = api.get(f"runs/{run_id}/").json()["data"]
    assert "run_steps" not in plain
    run = api.get(f"runs/{run_id}/", params={"include_related": "job,run_steps"}).json()["data"]
    assert (run["status"], run["status_humanized"], run["is_complete"], run["is_success"]) == (
        10,
        "Success",
        True,
        True,
    )
    assert run["started_at"]
    assert run["finished_at"]
    assert run["dequeued_at"]
    assert [s["name"] for s in run["run_steps"]] == [
        "Clone Git Repository",
        "Create Profile from Connection",
        "Invoke dbt with `dbt run --select a`",
        "Invoke dbt with `dbt test`",
    ]
    assert [s["index"] for s in run["run_steps"]] == [1, 2, 3, 4]


def test_artifacts_are_step_aware_and_default_to_the_last_step(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    run_id = _finished_run(
        emulator, api, project.job_ids["run"], steps_override=["dbt run", "dbt compile"]
    )
    assert api.get(f"runs/{run_id}/artifacts/").json()["data"] == [
        "manifest.json",
        "run_results.json",
    ]
    run_step = api.get(f"runs/{run_id}/artifacts/run_results.json", params={"step": 3})
    assert run_step.status_code == 200
    assert run_step.json()["results"][0]["unique_id"] == "model.stub.run"  # raw file, no envelope
    # The last step (compile) wrote no run_results.json: without `step` that is a 404.
    assert api.get(f"runs/{run_id}/artifacts/run_results.json").status_code == 404
    assert "model.stub.compile" in api.get(f"runs/{run_id}/artifacts/manifest.json").json()["nodes"]
    assert (
        api.get(f"runs/{run_id}/artifacts/run_results.json", params={"step": 9}).status_code == 404
    )
    assert (
        api.get(f"runs/{run_id}/artifacts/run_results.json", params={"step": "x"}).status_code
        == 400
    )


def test_the_jobs_latest_artifact_is_its_latest_finished_runs(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    job = project.job_ids["compile"]
    assert api.get(f"jobs/{job}/artifacts/manifest.json").status_code == 404
    _finished_run(emulator, api, job)
    assert "model.stub.compile" in api.get(f"jobs/{job}/artifacts/manifest.json").json()["nodes"]


def test_list_runs_filters_orders_and_pages(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    compile_job, run_job = project.job_ids["compile"], project.job_ids["run"]
    first = _finished_run(emulator, api, compile_job)
    emulator.faults.next_run("error", job_id=compile_job)
    failed = _finished_run(emulator, api, compile_job)
    other = _finished_run(emulator, api, run_job)
    second = _finished_run(emulator, api, compile_job)

    def ids(**params: object) -> list[int]:
        response = api.get("runs/", params=params)
        assert response.status_code == 200, response.text
        return [run["id"] for run in response.json()["data"]]

    assert ids() == [first, failed, other, second]  # order_by defaults to id
    assert ids(order_by="-id") == [second, other, failed, first]
    assert ids(job_definition_id=compile_job) == [first, failed, second]
    assert ids(job_definition_id=compile_job, status=20) == [failed]
    latest = api.get(
        "runs/",
        params={"job_definition_id": compile_job, "order_by": "-id", "status": 10, "limit": 1},
    ).json()
    assert [run["id"] for run in latest["data"]] == [second]
    assert "run_steps" not in latest["data"][0]  # list runs cannot include the steps
    assert latest["data"][0]["job_definition_id"] == compile_job
    assert latest["extra"]["pagination"] == {"count": 1, "total_count": 2}
    assert latest["extra"]["order_by"] == "-id"
    assert latest["extra"]["filters"]["limit"] == 1
    assert ids(limit=2, offset=1) == [failed, other]
    assert ids(limit=100, offset=4) == []
    assert ids(job_definition_id=999) == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 101}, {"limit": "x"}, {"offset": -1}, {"order_by": "status"}, {"status": "ok"}],
)
def test_list_runs_refuses_bad_paging_and_ordering_like_dbt_cloud(
    project: EmulatedProject, api: httpx.Client, params: dict[str, object]
) -> None:
    response = api.get("runs/", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"]["is_success"] is False
    assert body["status"]["user_message"]
    # dbt Cloud's 400: the envelope, data naming what was wrong.
    assert set(body["data"]) == set(params)


def test_list_runs_is_counted_and_takes_faults_by_route_name(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    emulator.faults.fail_next(1, status=503, route="list_runs")
    assert api.get("runs/424242/").status_code == 404  # another route: no fault
    assert api.get("runs/").status_code == 503
    assert api.get("runs/").status_code == 200
    assert emulator.counters.requests_by_route["list_runs"] == 2


def test_a_failed_step_ends_the_run_in_error(stub_project: ProjectCopy) -> None:
    with DbtCloudEmulator(token="t", executor=StubExecutor(success=False)) as emulator:
        project = emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)
        with httpx.Client(
            transport=emulator.transport(), headers={"Authorization": "Token t"}
        ) as client:
            run_id = client.post(
                f"{IN_PROCESS_BASE_URL}/accounts/1/jobs/{project.job_ids['run']}/run/",
                json={"cause": "c", "steps_override": ["dbt run", "dbt test"]},
            ).json()["data"]["id"]
        emulator.wait_for_runs()
        run = emulator.get_run(run_id)
        assert run.status == 20
        assert [s.status for s in run.steps] == [10, 10, 20]  # the test step never ran


def test_the_clone_keeps_links_as_links_and_a_failed_clone_fails_the_run(
    stub_project: ProjectCopy,
) -> None:
    # A link that loops must be copied, not followed (following it raised in the
    # run's thread, which died and left the run running for ever).
    (stub_project.project_dir / "loop").symlink_to("loop")
    executor = StubExecutor()
    with DbtCloudEmulator(token="t", executor=executor) as emulator:
        project = emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)
        with httpx.Client(
            transport=emulator.transport(), headers={"Authorization": "Token t"}
        ) as client:

            def finished_run() -> RunRecord:
                run_id = client.post(
                    f"{IN_PROCESS_BASE_URL}/accounts/1/jobs/{project.job_ids['run']}/run/",
                    json={"cause": "c"},
                ).json()["data"]["id"]
                emulator.wait_for_runs(timeout=60)
                return emulator.get_run(run_id)

            assert finished_run().status == 10
            (clone,) = executor.project_dirs
            assert (clone / "loop").is_symlink()
            assert os.readlink(clone / "loop") == "loop"
            shutil.rmtree(stub_project.project_dir)  # the "repository" is gone
            run = finished_run()
    assert (run.status, run.steps[0].status) == (20, 20)
    assert run.steps[0].logs.startswith("Failed to clone repository: ")
    assert len(run.steps) == 1  # no dbt step ran
    assert len(executor.project_dirs) == 1


def test_an_unsupported_step_fails_with_a_clear_log(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    run_id = _finished_run(
        emulator, api, project.job_ids["run"], steps_override=["dbt docs generate"]
    )
    run = emulator.get_run(run_id)
    assert run.status == 20
    assert "only compile, run, test, seed, snapshot, build" in run.steps[-1].logs


@pytest.mark.parametrize(
    ("outcome", "status", "log"), [("error", 20, "Failed to clone"), ("cancelled", 30, "")]
)
def test_run_outcome_faults(
    emulator: DbtCloudEmulator,
    project: EmulatedProject,
    api: httpx.Client,
    outcome: str,
    status: int,
    log: str,
) -> None:
    emulator.faults.next_run(outcome, job_id=project.job_ids["run"])  # type: ignore[arg-type]
    run_id = _finished_run(emulator, api, project.job_ids["run"])
    run = emulator.get_run(run_id)
    assert run.status == status
    assert log in run.steps[0].logs
    assert api.get(f"runs/{run_id}/artifacts/").json()["data"] == []
    assert _finished_run(emulator, api, project.job_ids["run"])
    assert emulator.runs[run_id + 1].status == 10


def test_a_run_that_never_finishes_ends_when_cancelled(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    emulator.faults.next_run("never_finishes")
    run_id = api.post(f"jobs/{project.job_ids['run']}/run/", json={"cause": "c"}).json()["data"][
        "id"
    ]
    assert api.post(f"runs/{run_id}/cancel/").status_code == 200
    emulator.wait_for_runs()
    assert emulator.get_run(run_id).status == 30
    assert emulator.counters.cancels_received == 1


def test_missing_artifact_fault(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    emulator.faults.missing_artifact("run_results.json")
    run_id = _finished_run(emulator, api, project.job_ids["run"])
    assert api.get(f"runs/{run_id}/artifacts/").json()["data"] == ["manifest.json"]
    assert (
        api.get(f"runs/{run_id}/artifacts/run_results.json", params={"step": 3}).status_code == 404
    )


def test_http_faults_apply_to_the_next_n_matching_requests(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    run_id = _finished_run(emulator, api, project.job_ids["run"])
    emulator.faults.fail_next(2, status=429, retry_after=3, route="get_run")
    emulator.faults.malformed_json_next(route="list_artifacts")
    emulator.faults.wrong_shape_next(route="cancel_run")
    emulator.faults.fail_next(1, status=503)  # any route: consumed by the next request left
    first = api.get(f"runs/{run_id}/")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
    assert first.json()["status"]["user_message"]
    second = api.get(f"runs/{run_id}/")
    assert second.status_code == 429
    with pytest.raises(json.JSONDecodeError):
        api.get(f"runs/{run_id}/artifacts/").json()
    assert "id" not in api.post(f"runs/{run_id}/cancel/").json()["data"]
    assert api.get(f"runs/{run_id}/").status_code == 503
    assert api.get(f"runs/{run_id}/").status_code == 200
    assert emulator.counters.requests_by_route == {
        "trigger_run": 1,
        "get_run": 4,
        "list_artifacts": 1,
        "cancel_run": 1,
    }


def test_fault_programming_is_validated(emulator: DbtCloudEmulator) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        emulator.faults.fail_next(route="nope")
    with pytest.raises(ValueError, match="count"):
        emulator.faults.hang_next(0)
    with pytest.raises(ValueError, match="unknown run outcome"):
        emulator.faults.next_run("exploded")  # type: ignore[arg-type]


def test_the_token_is_not_in_the_emulators_repr(emulator: DbtCloudEmulator) -> None:
    assert "t0k3n" not in repr(emulator)


class BlockingExecutor(StubExecutor):
    """Holds each step until the test releases it, to observe a run mid-flight."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(
        self, command: DbtStep, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        self.started.set()
        assert self.release.wait(30), "the test never released the step"
        return super().__call__(command, project_dir, profiles_dir, target)


def test_status_walk_queued_then_running_then_success(stub_project: ProjectCopy) -> None:
    executor = BlockingExecutor()
    with (
        DbtCloudEmulator(token="t", executor=executor) as emulator,
        httpx.Client(
            transport=emulator.transport(), headers={"Authorization": "Token t"}
        ) as client,
    ):
        project = emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)
        base = f"{IN_PROCESS_BASE_URL}/accounts/1"
        queued = client.post(
            f"{base}/jobs/{project.job_ids['run']}/run/", json={"cause": "c"}
        ).json()["data"]
        assert (queued["status"], queued["status_humanized"], queued["in_progress"]) == (
            1,
            "Queued",
            True,
        )
        assert executor.started.wait(30)
        running = client.get(
            f"{base}/runs/{queued['id']}/", params={"include_related": "run_steps"}
        ).json()["data"]
        assert (running["status"], running["is_running"], running["is_complete"]) == (
            3,
            True,
            False,
        )
        assert running["started_at"] is not None
        assert "finished_at" not in running
        assert [s["status"] for s in running["run_steps"]] == [10, 10, 3]
        assert (
            client.get(f"{base}/runs/{queued['id']}/artifacts/").json()["data"] == []
        )  # not saved yet
        executor.release.set()
        emulator.wait_for_runs()
        assert emulator.get_run(queued["id"]).status == 10


def test_a_cancel_interrupts_the_delay_between_statuses(stub_project: ProjectCopy) -> None:
    with (
        DbtCloudEmulator(token="t", step_delay_seconds=600, executor=StubExecutor()) as emulator,
        httpx.Client(
            transport=emulator.transport(), headers={"Authorization": "Token t"}
        ) as client,
    ):
        project = emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)
        base = f"{IN_PROCESS_BASE_URL}/accounts/1"
        run_id = client.post(
            f"{base}/jobs/{project.job_ids['run']}/run/", json={"cause": "c"}
        ).json()["data"]["id"]
        assert (
            client.get(f"{base}/runs/{run_id}/").json()["data"]["status"] == 1
        )  # held queued by the delay
        client.post(f"{base}/runs/{run_id}/cancel/")
        emulator.wait_for_runs(timeout=30)
        run = client.get(f"{base}/runs/{run_id}/").json()["data"]
        assert (run["status"], run["is_cancelled"], run.get("started_at")) == (30, True, None)


def test_runs_show_their_trigger_cause_only_when_asked(
    emulator: DbtCloudEmulator, project: EmulatedProject, api: httpx.Client
) -> None:
    job_id = project.job_ids["run"]
    run_id = _finished_run(emulator, api, job_id, cause="floe-dbt: dbt run [abc]")
    listed = api.get("runs/", params={"job_definition_id": job_id, "include_related": "trigger"})
    [run] = listed.json()["data"]
    assert (run["id"], run["trigger"]["cause"]) == (run_id, "floe-dbt: dbt run [abc]")
    assert "run_steps" not in run
    single = api.get(f"runs/{run_id}/", params={"include_related": "run_steps,trigger"})
    assert single.json()["data"]["trigger"]["cause"] == "floe-dbt: dbt run [abc]"
    assert "trigger" not in api.get("runs/").json()["data"][0]
    assert "trigger" not in api.get(f"runs/{run_id}/").json()["data"]


def test_the_in_process_urls_the_transport_recommends_are_accepted_by_the_runtime(
    emulator: DbtCloudEmulator, project: EmulatedProject, stub_project: ProjectCopy
) -> None:
    """Round 2: the docstring recommended a plain-http address the runtime refuses."""
    assert "IN_PROCESS_BASE_URL" in (DbtCloudEmulator.transport.__doc__ or "")
    runtime = DBTCloudPlugin(
        str(emulator.account_id),
        SecretStr(emulator.token),
        IN_PROCESS_BASE_URL,
        project.job_ids,
        discovery_url=IN_PROCESS_DISCOVERY_URL,
        transport=emulator.transport(),
        poll_interval_seconds=0.05,
        cache_dir=stub_project.project_dir / ".cache",
    )
    # A real round trip through the transport: no run yet, so no manifest.
    with runtime, pytest.raises(DBTArtifactNotFoundError, match="has no successful run yet"):
        runtime.get_manifest(stub_project.project_dir)
    assert emulator.counters.requests_by_route == {"list_runs": 1}  # served in-process
