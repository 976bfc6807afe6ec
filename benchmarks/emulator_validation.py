"""What holding every request and answer to dbt Cloud's API document costs the emulator.

In-process (no socket), the same requests with the document checked and with
the checks replaced by no-ops: a trigger, a poll with its steps, a page of runs.
Run: ``.venv/bin/python -m benchmarks.emulator_validation``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import httpx

from floe_dbt_cloud_emulator import IN_PROCESS_BASE_URL, DbtCloudEmulator
from floe_dbt_cloud_emulator import app as app_module
from floe_dbt_cloud_emulator.openapi import Checked
from floe_dbt_cloud_emulator.steps import StepOutcome

ROUNDS = 100


def _ok(*_args: object) -> StepOutcome:
    return StepOutcome(True, "")


def _unchecked(request: object, body: bytes) -> Checked:
    import json

    from starlette.requests import Request

    assert isinstance(request, Request)
    query = {
        key: int(value) if value.isdigit() else value for key, value in request.query_params.items()
    }
    return Checked(query=query, body=json.loads(body) if body else None)


def _time(client: httpx.Client, job_id: int, run_id: int) -> dict[str, float]:
    calls = {
        "trigger": lambda: client.post(f"jobs/{job_id}/run/", json={"cause": "bench"}),
        "get_run+steps": lambda: client.get(
            f"runs/{run_id}/", params={"include_related": "run_steps"}
        ),
        "list_runs": lambda: client.get("runs/", params={"limit": 20}),
    }
    timings = {}
    for name, call in calls.items():
        samples = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            call().raise_for_status()
            samples.append(time.perf_counter() - start)
        timings[name] = statistics.median(samples) * 1000
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        project.mkdir()
        (project / "dbt_project.yml").write_text("name: bench\nprofile: bench\n")
        (project / "profiles.yml").write_text("bench: {outputs: {dev: {type: duckdb}}}\n")
        with DbtCloudEmulator(token="t0k3n", executor=_ok) as emulator:
            served = emulator.add_project(project, project)
            with httpx.Client(
                base_url=f"{IN_PROCESS_BASE_URL}/accounts/1/",
                transport=emulator.transport(),
                headers={"Authorization": "Token t0k3n"},
            ) as client:
                job = served.job_ids["run"]
                run_id = client.post(f"jobs/{job}/run/", json={"cause": "x"}).json()["data"]["id"]
                emulator.wait_for_runs()
                checked = _time(client, job, run_id)
                with (
                    mock.patch.object(app_module, "check_request", _unchecked),
                    mock.patch.object(app_module, "check_response", return_value=[]),
                ):
                    unchecked = _time(client, job, run_id)
    print(f"median ms per request over {ROUNDS} (in-process, no socket)")
    print(f"{'request':16} {'checked':>8} {'unchecked':>10} {'overhead':>9}")
    for name in checked:
        overhead = checked[name] - unchecked[name]
        print(f"{name:16} {checked[name]:8.2f} {unchecked[name]:10.2f} {overhead:9.2f}")


if __name__ == "__main__":
    main()
