"""Scenario suite (REQ-086, REQ-087, REQ-094): the contract on the kit's fixture projects.

Every scenario of :mod:`floe_dbt_compliance.fixture_scenarios` runs on the
runtime and, on another copy, on the reference (plain dbt-core by default).
The rows of :data:`~floe_dbt_compliance.fixture_scenarios.ORACLE_ROWS` hold
the runtime to what the reference did: the exception type, the counts, each
node's status, the manifest's nodes and the warehouse. The other rows read
the same calls for what dbt is not the truth for: result fields, latest
artifacts, messages, spans and secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from floe_dbt_compliance import checks, leaks
from floe_dbt_compliance.fixture_scenarios import (
    HEALTHY,
    LATEST_CALLS,
    MENTIONS,
    ORACLE_ROWS,
    RESULT_CALLS,
    SECRET_CALLS,
    SPAN_CALLS,
    WAREHOUSE_ROWS,
)
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.recorder import Call
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns, agree
from floe_dbt_compliance.scenarios import Scenario


class Runs:
    """The module's scenario runs, recorded as every row here needs them."""

    def __init__(self, runs: ScenarioRuns, profile: RuntimeProfile) -> None:
        self._runs = runs
        self.profile = profile

    def __call__(self, scenario: Scenario) -> ScenarioRun:
        return self._runs(scenario, latest=scenario is HEALTHY, logs=bool(self.profile.secrets))

    def calls(self, pairs: Sequence[tuple[Scenario, Sequence[str]]]) -> list[Call]:
        return [call for scenario, keys in pairs for call in self(scenario).calls(keys)]


@pytest.fixture(scope="module")
def runs(floe_dbt_scenarios: ScenarioRuns, floe_dbt_profile: RuntimeProfile) -> Runs:
    return Runs(floe_dbt_scenarios, floe_dbt_profile)


@pytest.mark.parametrize(
    "key", [pytest.param(key, id=key, marks=requirement(key)) for key in ORACLE_ROWS]
)
def test_agrees_with_reference(key: str, runs: Runs) -> None:
    agree(
        [(runs(scenario), steps) for scenario, steps in ORACLE_ROWS[key]],
        needs_warehouse=key in WAREHOUSE_ROWS,
    )
    if key == "config.hostile-input":
        _nothing_ran(runs)


def _nothing_ran(runs: Runs) -> None:
    """The refused calls made no remote call and recorded no run (the warehouse is compared)."""
    run = runs(HEALTHY)
    before = run.call("run")
    problems = []
    for call in run.calls(("hostile_select", "hostile_exclude", "hostile_test", "hostile_target")):
        if call.remote_calls:
            problems.append(f"{call.label} made {call.remote_calls} remote call(s)")
        if call.latest_run_results != before.latest_run_results:
            problems.append(f"{call.label} changed what get_run_results() answers: dbt ran")
    checks.fail_all(problems)


@requirement("result.paths")
def test_result_paths(runs: Runs) -> None:
    checks.check_result_paths(runs.calls(RESULT_CALLS))


@requirement("result.time")
def test_result_time(runs: Runs) -> None:
    checks.check_result_time(runs.calls(RESULT_CALLS))


@requirement("result.metadata")
def test_result_metadata(runs: Runs) -> None:
    checks.check_result_metadata(runs.calls(RESULT_CALLS))


@requirement("metadata.no-credential")
def test_metadata_no_credential(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    secrets = floe_dbt_profile.secrets
    calls = runs.calls(RESULT_CALLS)
    problems = leaks.credential_findings(floe_dbt_profile.metadata, secrets, "runtime metadata")
    latest = runs(HEALTHY).harness.plugin.get_runtime_metadata()
    problems += leaks.credential_findings(latest, secrets, "runtime metadata after the calls")
    for call in calls:
        problems += leaks.credential_findings(
            call.result().metadata, secrets, f"metadata of {call.label}"
        )
    checks.fail_all(problems)


@requirement("artifacts.latest")
def test_latest_artifacts(runs: Runs) -> None:
    checks.check_latest(runs.calls(LATEST_CALLS))


@requirement("artifacts.none-yet")
def test_no_artifacts_yet(runs: Runs) -> None:
    run = runs(HEALTHY)
    run.call("compile")
    checks.check_none_yet(run.before, "a fresh copy of healthy")


@requirement("errors.message")
def test_error_messages(runs: Runs) -> None:
    for scenario, keys, token in MENTIONS:
        run = runs(scenario)
        calls = run.calls(keys)
        checks.check_mentions(calls, token, [run.expected(key).message for key in keys])


@requirement("spans.invocation")
def test_spans_invocation(runs: Runs) -> None:
    checks.check_spans_invoked(runs.calls(SPAN_CALLS))


@requirement("spans.attributes")
def test_spans_attributes(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    kind = str((floe_dbt_profile.metadata or {}).get("type"))
    checks.check_span_attributes(runs.calls(SPAN_CALLS), kind, runs(HEALTHY).harness.target)


@requirement("spans.status")
def test_spans_status(runs: Runs) -> None:
    checks.check_span_status(runs.calls(SPAN_CALLS))


@requirement("secrets.errors")
def test_no_secret_in_errors(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_errors(runs.calls(SECRET_CALLS), floe_dbt_profile.secrets))


@requirement("secrets.spans")
def test_no_secret_in_spans(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_spans(runs.calls(SECRET_CALLS), floe_dbt_profile.secrets))


@requirement("secrets.logs")
def test_no_secret_in_logs(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_logs(runs.calls(SECRET_CALLS), floe_dbt_profile.secrets))


@requirement("secrets.files")
def test_no_secret_in_files(runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    problems = []
    for scenario, _keys in SECRET_CALLS:
        runs.calls([(scenario, _keys)])
        root = runs(scenario).harness.project_dir
        problems += leaks.secrets_in_files(root, floe_dbt_profile.secrets)
    checks.fail_all(problems)
