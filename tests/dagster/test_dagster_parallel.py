"""REQ-093 in Dagster: a parallel runtime runs up to N dbt steps at once, seen in its spans."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import dagster_parallel_location as location
import pytest
from dagster import DagsterInstance, execute_job, reconstructable
from dagster_fakes import max_overlap


def _instant(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1_000_000)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_parallel_runtime_runs_up_to_max_concurrent_steps_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(location.WORKDIR_ENV, str(tmp_path))
    monkeypatch.setenv(location.PARENT_PID_ENV, str(os.getpid()))
    # Step processes import the location by module name from the working directory.
    monkeypatch.chdir(Path(location.__file__).parent)

    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with DagsterInstance.local_temp(str(dagster_home)) as instance:
        result = execute_job(reconstructable(location.parallel_job), instance=instance)
        failures = [str(e.step_failure_data.error) for e in result.get_step_failure_events()]
        assert result.success, failures

    span_files = sorted(tmp_path.glob("spans-*.jsonl"))
    spans = [json.loads(line) for path in span_files for line in path.read_text().splitlines()]
    runs = [span for span in spans if span["name"] == "floe.dbt.run"]
    # One run_models per step, each selecting its group's model.
    assert sorted(span["attributes"]["floe.dbt.select"] for span in runs) == sorted(
        f"fqn:shop.{group}_model" for group in location.GROUPS
    )
    # One process per step: the multiprocess executor, not the serial one.
    assert len(span_files) == len(location.GROUPS)
    # At least two at once (each run waited for company), never more than N.
    intervals = [(_instant(span["start_time"]), _instant(span["end_time"])) for span in runs]
    assert max_overlap(intervals) == location.MAX_CONCURRENT
