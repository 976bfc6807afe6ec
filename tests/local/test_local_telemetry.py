"""One ``floe.dbt.<command>`` span per invocation, and dbt's events as structured log records."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from floe_core.errors import DBTCompilationError
from floe_dbt_local import EVENT_LOGGER_NAME, LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def test_spans_carry_command_target_selection_counts_and_outcome(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    healthy, failing = project("healthy"), project("failing_test")
    runtime.compile_project(healthy.project_dir, healthy.profiles_dir, "dev")
    runtime.run_models(healthy.project_dir, healthy.profiles_dir, "dev", exclude="fct_orders")
    runtime.run_models(failing.project_dir, failing.profiles_dir, "dev")
    runtime.run_tests(failing.project_dir, failing.profiles_dir, "dev", select="orders")

    compile_span, run_span, _, test_span = spans()
    assert [s.name for s in spans()] == [
        "floe.dbt.compile",
        "floe.dbt.run",
        "floe.dbt.run",
        "floe.dbt.test",
    ]
    assert compile_span.attributes is not None
    assert compile_span.attributes["floe.dbt.runtime"] == "local"
    assert compile_span.attributes["floe.dbt.success"] is True
    assert dict(run_span.attributes or {}) | {"floe.dbt.invocation_id": "-"} == {
        "floe.dbt.runtime": "local",
        "floe.dbt.command": "run",
        "floe.dbt.target": "dev",
        "floe.dbt.exclude": "fct_orders",
        "floe.dbt.full_refresh": False,
        "floe.dbt.manifest_reused": True,
        "floe.dbt.invocation_id": "-",
        "floe.dbt.success": True,
        "floe.dbt.models_run": 4,
        "floe.dbt.tests_run": 0,
        "floe.dbt.failures": 0,
        "floe.dbt.execution_time_seconds": run_span.attributes["floe.dbt.execution_time_seconds"],  # type: ignore[index]
    }
    test_attributes = test_span.attributes or {}
    assert test_attributes["floe.dbt.select"] == "orders"
    assert "floe.dbt.full_refresh" not in test_attributes
    assert (test_attributes["floe.dbt.tests_run"], test_attributes["floe.dbt.failures"]) == (3, 1)
    assert test_attributes["floe.dbt.success"] is False
    assert test_span.status.status_code is StatusCode.ERROR


def test_a_failed_invocation_is_recorded_on_its_span(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    copy = project("unparseable")
    with pytest.raises(DBTCompilationError):
        runtime.run_models(copy.project_dir, copy.profiles_dir, "dev")
    (span,) = spans()
    assert span.name == "floe.dbt.run"
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


def test_dbt_events_reach_logging_as_structured_records(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = project("failing_test")
    caplog.set_level(logging.DEBUG, logger=EVENT_LOGGER_NAME)
    runtime.run_models(copy.project_dir, copy.profiles_dir, "dev")
    result = runtime.run_tests(copy.project_dir, copy.profiles_dir, "dev")

    records = [r for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    names = {r.dbt_event_name for r in records}  # type: ignore[attr-defined]
    assert {"MainReportVersion", "LogModelResult", "LogTestResult"} <= names
    (model_result,) = [
        r
        for r in records
        if r.dbt_event_name == "LogModelResult"  # type: ignore[attr-defined]
        and r.dbt_unique_id == "model.failing_test.order_totals"  # type: ignore[attr-defined]
    ]
    assert model_result.levelno == logging.INFO
    assert model_result.dbt_level == "info"  # type: ignore[attr-defined]
    assert "order_totals" in model_result.dbt_message  # type: ignore[attr-defined]
    assert model_result.getMessage() == model_result.dbt_message  # type: ignore[attr-defined]
    failed_test = [
        r
        for r in records
        if r.dbt_event_name == "LogTestResult"  # type: ignore[attr-defined]
        and r.dbt_unique_id.startswith("test.failing_test.assert_no_negative_amounts")  # type: ignore[attr-defined]
    ]
    assert [r.levelno for r in failed_test] == [logging.ERROR]
    assert {r.dbt_invocation_id for r in records} >= {result.metadata["invocation_id"]}  # type: ignore[attr-defined]
    assert any(r.levelno == logging.DEBUG for r in records)
    assert not any("\x1b[" in r.getMessage() for r in records), "ANSI colour codes in messages"
    # dbt itself prints nothing: its output is the log records.
    assert capsys.readouterr().out == ""


def test_runtime_metadata_names_versions_and_adapter_without_credentials(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("healthy")
    profile = copy.profiles_dir / "profiles.yml"
    # A credential-like value in the profile must not travel into metadata.
    secret_setting = "threads: 1\n      external_root: s3cr3t-t0ken"
    profile.write_text(profile.read_text().replace("threads: 1", secret_setting))
    before = runtime.get_runtime_metadata()
    assert "adapter" not in before
    result = runtime.run_models(copy.project_dir, copy.profiles_dir, "dev", select="raw_orders")
    metadata = runtime.get_runtime_metadata()
    assert metadata["type"] == "local"
    assert metadata["adapter"] == "duckdb"
    assert metadata["dbt_version"] == result.metadata["dbt_version"]
    text = json.dumps(metadata) + json.dumps(result.metadata)
    assert "s3cr3t" not in text
    assert str(copy.database_path) not in text


def test_lifecycle_spans_name_the_vars_never_their_values(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    spans: Callable[[], list[ReadableSpan]],
) -> None:
    copy = project("healthy")
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    bound = runtime.with_vars({"api_token": "s3cr3t-t0ken"})
    seeded = bound.seed(*where)
    snapshotted = bound.snapshot(*where, exclude="customers")
    built = bound.build(*where, vars={"since": "2018-01-01"})

    seed_span, snapshot_span, build_span = spans()
    assert [seed_span.name, snapshot_span.name, build_span.name] == [
        "floe.dbt.seed",
        "floe.dbt.snapshot",
        "floe.dbt.build",
    ]
    build_attributes = dict(build_span.attributes or {})
    assert build_attributes["floe.dbt.var_names"] == ("api_token", "since")
    assert (build_attributes["floe.dbt.models_run"], build_attributes["floe.dbt.tests_run"]) == (
        5,
        7,
    )
    assert (built.metadata["seeds_run"], built.metadata["snapshots_run"]) == (0, 0)
    assert (seeded.metadata["command"], snapshotted.metadata["command"]) == ("seed", "snapshot")
    snapshot_attributes = dict(snapshot_span.attributes or {})
    assert snapshot_attributes["floe.dbt.exclude"] == "customers"
    assert "floe.dbt.full_refresh" not in snapshot_attributes
    assert dict(seed_span.attributes or {})["floe.dbt.full_refresh"] is False
    for span in (seed_span, snapshot_span, build_span):
        assert "s3cr3t" not in json.dumps(dict(span.attributes or {}), default=str)
    assert "s3cr3t" not in json.dumps([r.metadata for r in (seeded, snapshotted, built)])
