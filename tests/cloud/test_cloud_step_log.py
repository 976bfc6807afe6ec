"""The cloud run's progress as it arrives: status, steps, dbt's lines, the failing node.

Units feed :class:`StepLogFollower` the runs successive polls see; the
integration tests run dbt in the emulator, whose step logs grow while dbt
runs, and follow them through the runtime and through ``floe run``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cloud_helpers import Served, run_payload, step
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.trace import ReadableSpan

from floe_core.events import event_of
from floe_core.redaction import REDACTED
from floe_dbt_cloud.models import Run
from floe_dbt_cloud.step_log import EVENT_LOGGER_NAME, StepLogFollower, parse_line


def _run(status: int, *steps: dict[str, object], run_id: int = 41) -> Run:
    return Run.model_validate(run_payload(run_id, status, steps=list(steps))["data"])


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[tuple[str, str]]]:
    caplog.set_level(logging.DEBUG, logger=EVENT_LOGGER_NAME)

    def logged() -> list[tuple[str, str]]:
        return [
            (record.dbt_event_name, record.getMessage())  # type: ignore[attr-defined]
            for record in caplog.records
            if record.name == EVENT_LOGGER_NAME
        ]

    return logged


def test_each_line_once_as_it_arrives_and_the_status_around_it(lines) -> None:
    follow = StepLogFollower()
    invoke = "Invoke dbt with `dbt run`"
    follow(_run(1))
    follow(_run(3, step(1, invoke, 3, "10:00:00  Running with dbt=1.11.0\n10:00:01  1 of 2 ST")))
    follow(
        _run(
            3,
            step(1, invoke, 3, "10:00:00  Running with dbt=1.11.0\n10:00:01  1 of 2 START sql "
                 "view model main.a ... [RUN]\n"),
        )
    )  # fmt: skip
    # dbt Cloud kept only the end of the log: what follows the last line seen is new.
    follow(
        _run(
            20,
            step(1, invoke, 20, "10:00:01  1 of 2 START sql view model main.a ... [RUN]\n"
                 "10:00:02  1 of 2 ERROR creating sql view model main.a ... [ERROR in 0.50s]\n"
                 "10:00:02  Done. PASS=0 ERROR=1"),
        )
    )  # fmt: skip
    assert lines() == [
        ("CloudRunStatus", "dbt Cloud run 41: Queued"),
        ("CloudRunStatus", "dbt Cloud run 41: Running"),
        ("CloudRunStep", f"step 1: {invoke}"),
        ("StepLogLine", "Running with dbt=1.11.0"),
        ("StepLogLine", "1 of 2 START sql view model main.a ... [RUN]"),
        ("StepLogLine", "1 of 2 ERROR creating sql view model main.a ... [ERROR in 0.50s]"),
        ("StepLogLine", "Done. PASS=0 ERROR=1"),  # the step ended: its last line, unfinished
        ("CloudRunStatus", "dbt Cloud run 41: Error"),  # after the lines it ends
    ]


def test_repeated_lines_in_a_growing_log_lose_nothing(lines) -> None:
    """dbt prints the same blank "HH:MM:SS" line many times in one second."""
    follow = StepLogFollower()
    head = "10:00:00  Concurrency: 1 threads\n10:00:00  \n"
    body = "10:00:00  1 of 1 START m\n10:00:00  \n10:00:01  1 of 1 OK m\n10:00:01  \n"
    follow(_run(3, step(1, "Invoke dbt with `dbt run`", 3, head)))
    follow(_run(10, step(1, "Invoke dbt with `dbt run`", 10, head + body + "Done.")))
    assert [message for name, message in lines() if name == "StepLogLine"] == [
        "Concurrency: 1 threads",
        "",  # dbt's blank lines stay, as its console prints them
        "1 of 1 START m",
        "",
        "1 of 1 OK m",
        "",
        "Done.",
    ]


def test_a_log_replaced_by_other_text_is_read_whole(lines) -> None:
    follow = StepLogFollower()
    follow(_run(3, step(1, "Invoke dbt with `dbt run`", 3, "a\nb\n")))
    follow(_run(3, step(1, "Invoke dbt with `dbt run`", 3, "c\n")))
    follow(_run(3, step(1, "Invoke dbt with `dbt run`", 3, "c\n")))  # nothing new
    assert [message for name, message in lines() if name == "StepLogLine"] == ["a", "b", "c"]


def test_lines_carry_the_node_status_timing_run_and_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
    follow = StepLogFollower(secrets=("s3cr3t-value",))
    log = (
        "10:00:00  2 of 3 OK created sql table model main.b ... [OK in 0.25s]\n"
        "10:00:01  3 of 3 FAIL 1 not_null_b_id ... [FAIL 1 in 0.10s]\n"
        "10:00:01  var was s3cr3t-value\n"
    )
    follow(_run(10, step(3, "Invoke dbt with `dbt build`", 10, log), run_id=77))
    events = [event_of(record) for record in caplog.records]
    ok, fail, leak = [event for event in events if event and event.name == "StepLogLine"]
    assert (ok.node_status, ok.execution_time, ok.level) == ("success", 0.25, "info")
    assert (fail.node_status, fail.level) == ("fail", "error")
    assert {event.invocation_id for event in events if event} == {"77"}
    assert {event.runtime for event in events if event} == {"cloud"}
    assert leak.message == f"var was {REDACTED}"
    assert not any("s3cr3t-value" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("line", "status", "level"),
    [
        ("12:00:00  1 of 9 START sql view model main.a .... [RUN]", "started", "info"),
        ("1 of 9 PASS unique_a_id .... [PASS in 0.01s]", "pass", "info"),
        ("1 of 9 WARN 2 accepted_values .... [WARN 2 in 0.01s]", "warn", "warn"),
        ("1 of 9 SKIP relation main.c .... [SKIP]", "skipped", "info"),
        ("12:00:00    Runtime Error in model a (models/a.sql)", None, "error"),
        ("12:00:00  Failure in model a (models/a.sql)", None, "error"),
        ("12:00:00", None, "info"),
    ],
)
def test_dbts_console_lines_are_read_as_dbt_writes_them(line: str, status, level) -> None:
    event = parse_line(line)
    assert (event.node_status, event.level) == (status, level)
    assert not event.message.startswith("12:00:00")


# -- through the emulator: real dbt, logs growing while it runs -------------------------


@pytest.fixture
def otel_logs(
    otel_logs_of: Callable[[str], InMemoryLogRecordExporter],
) -> InMemoryLogRecordExporter:
    """OpenTelemetry's logging bridge on the cloud runtime's event logger."""
    return otel_logs_of(EVENT_LOGGER_NAME)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_runs_lines_arrive_in_its_span_while_dbt_runs(
    serve: Callable[..., Served],
    caplog: pytest.LogCaptureFixture,
    cloud_spans: Callable[[], list[ReadableSpan]],
    otel_logs: InMemoryLogRecordExporter,
) -> None:
    served = serve("sql_error")
    caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
    plugin = served.plugin(poll_interval_seconds=0.05)
    result = plugin.run_models(served.copy.project_dir, served.copy.profiles_dir, "dev")
    assert not result.success

    records = [r for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    events = [event_of(record) for record in records]
    results = {
        re.search(r"main\.\w+", e.message)[0]: e.node_status  # type: ignore[index]
        for e in events
        if e and e.node_status and e.node_status != "started"
    }
    assert results == {
        "main.broken": "error",
        "main.independent": "success",
        "main.downstream": "skipped",
    }
    starts = [e for e in events if e and e.node_status == "started"]
    assert len(starts) == 2
    assert any("Catalog Error" in e.message or "no_such_column" in e.message for e in events if e)
    # Followed while the run went on: lines were logged before its final status.
    statuses = [e.message for e in events if e and e.name == "CloudRunStatus"]
    assert statuses[-1].endswith(": Error")
    assert [e.name for e in events if e][-1] == "CloudRunStatus"
    # Each record was made inside the run's span (the poll runs in it).
    # (the emulator's dbt runs in this process too: its local runtime's span is another)
    (span,) = [
        s
        for s in cloud_spans()
        if s.name == "floe.dbt.run" and (s.attributes or {}).get("floe.dbt.runtime") == "cloud"
    ]
    assert span.context is not None
    exported = otel_logs.get_finished_logs()
    assert len(exported) == len(records)
    assert {r.log_record.trace_id for r in exported} == {span.context.trace_id}
    assert {e.invocation_id for e in events if e} == {str(result.metadata["run_id"])}


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_floe_run_on_cloud_prints_each_node_and_the_failing_ones_message(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    served = serve("sql_error")
    (tmp_path / "manifest.yaml").write_text(
        "plugins:\n"
        "  dbt_runtime: cloud\n"
        "  dbt_runtime_config:\n"
        "    cloud:\n"
        f'      account_id: "{served.emulator.account_id}"\n'
        "      api_token_ref: dbt-cloud-api-token\n"
        f"      base_url: {served.server.base_url}\n"
        f"      discovery_url: {served.server.discovery_url}\n"
        f"      cache_dir: {served.cache_dir}\n"
        "      poll_interval_seconds: 0.1\n"
        f"      job_ids: {json.dumps(served.project.job_ids)}\n"
    )
    project = tmp_path / "project"
    project.mkdir()
    # A process of its own, as a person runs it (the emulator's dbt logs in this one).
    env = {
        **os.environ,
        "FLOE_SECRET_DBT_CLOUD_API_TOKEN": served.emulator.token,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("floe")), "run", "--project-dir", str(project)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "step 3: Invoke dbt with `dbt run`" in out
    assert " of 3 ERROR creating sql table model main.broken " in out
    assert " of 3 OK created sql table model main.independent " in out
    assert " of 3 SKIP relation main.downstream " in out
    assert out.index(" START ") < out.index("dbt Cloud run 1001: Error")
    summary = out[out.index("dbt run (cloud) FAILED") :]
    assert "ERROR model.sql_error.broken: " in summary
    assert "no_such_column" in summary  # dbt's message, from the run's run_results.json
    assert served.emulator.token not in out + done.stderr
    assert done.stderr == ""
