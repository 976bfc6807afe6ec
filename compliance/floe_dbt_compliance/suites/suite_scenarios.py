"""Scenario suite (REQ-086, REQ-087, REQ-094): the contract on the kit's fixture projects.

Every scenario of :mod:`floe_dbt_compliance.fixture_scenarios` runs on the
runtime and, on another copy, on the reference (plain dbt-core by default).
Every row the catalogue declares ``Observes.ORACLE`` (but the lifecycle,
fail-fast and state rows, which have their own suites) is a case of
:func:`test_agrees_with_reference`: the runtime is held to what the
reference did on the steps the row reads (the exception type, the counts,
each node's status, the manifest's nodes and the warehouse). The other
tests read the steps their row declares for what dbt is not the truth for:
result fields, latest artifacts, messages, spans and secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from floe_dbt_compliance import checks, leaks
from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue import select
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import HEALTHY, MENTIONS
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.recorder import Call
from floe_dbt_compliance.requirements import each_row, requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns, agree
from floe_dbt_compliance.scenarios import Scenario


class Runs:
    """The module's scenario runs, recorded as every row here needs them."""

    def __init__(self, runs: ScenarioRuns, profile: RuntimeProfile) -> None:
        self._runs = runs
        self.profile = profile

    def __call__(self, scenario: Scenario) -> ScenarioRun:
        logs = Capability.SECRETS in self.profile.capabilities
        return self._runs(scenario, latest=scenario is HEALTHY, logs=logs)

    def calls(self, pairs: Sequence[tuple[Scenario, Sequence[str]]]) -> list[Call]:
        return [call for scenario, keys in pairs for call in self(scenario).calls(keys)]


@pytest.fixture(scope="module")
def runs(floe_dbt_scenarios: ScenarioRuns, floe_dbt_profile: RuntimeProfile) -> Runs:
    return Runs(floe_dbt_scenarios, floe_dbt_profile)


@pytest.fixture
def calls(runs: Runs, floe_dbt_row: Requirement) -> list[Call]:
    """The calls of the steps the test's row declares it reads, performed as needed."""
    return runs.calls(floe_dbt_row.reads)


@each_row(select(Observes.ORACLE, other_than={"lifecycle", "fail-fast", "state"}))
def test_agrees_with_reference(row: Requirement, runs: Runs) -> None:
    agree([(runs(scenario), steps) for scenario, steps in row.reads], row.aspects)


@requirement("config.hostile-input")
def test_refused_input_ran_nothing(calls: list[Call], runs: Runs) -> None:
    """The refused calls made no remote call and recorded no run (the warehouse is compared)."""
    before = runs(HEALTHY).call("run")
    problems = []
    for call in calls:
        if call.remote_calls:
            problems.append(f"{call.label} made {call.remote_calls} remote call(s)")
        if call.latest_run_results != before.latest_run_results:
            problems.append(f"{call.label} changed what get_run_results() answers: dbt ran")
    checks.fail_all(problems)


@requirement("result.paths")
def test_result_paths(calls: list[Call]) -> None:
    checks.check_result_paths(calls)


@requirement("result.time")
def test_result_time(calls: list[Call]) -> None:
    checks.check_result_time(calls)


@requirement("result.metadata")
def test_result_metadata(calls: list[Call]) -> None:
    checks.check_result_metadata(calls)


@requirement("metadata.no-credential")
def test_metadata_no_credential(
    calls: list[Call], runs: Runs, floe_dbt_profile: RuntimeProfile
) -> None:
    secrets = floe_dbt_profile.secrets
    problems = leaks.credential_findings(floe_dbt_profile.metadata, secrets, "runtime metadata")
    latest = runs(HEALTHY).harness.plugin.get_runtime_metadata()
    problems += leaks.credential_findings(latest, secrets, "runtime metadata after the calls")
    for call in calls:
        problems += leaks.credential_findings(
            call.result().metadata, secrets, f"metadata of {call.label}"
        )
    checks.fail_all(problems)


@requirement("artifacts.latest")
def test_latest_artifacts(calls: list[Call]) -> None:
    checks.check_latest(calls)


@requirement("artifacts.none-yet")
@pytest.mark.usefixtures("calls")  # what the runtime answered before the first is recorded
def test_no_artifacts_yet(runs: Runs) -> None:
    checks.check_none_yet(runs(HEALTHY).before, "a fresh copy of healthy")


@requirement("errors.message")
def test_error_messages(runs: Runs) -> None:
    for scenario, keys, token in MENTIONS:
        run = runs(scenario)
        checks.check_mentions(run.calls(keys), token, [run.expected(key).message for key in keys])


@requirement("spans.invocation")
def test_spans_invocation(calls: list[Call]) -> None:
    checks.check_spans_invoked(calls)


@requirement("spans.attributes")
def test_spans_attributes(calls: list[Call], runs: Runs, floe_dbt_profile: RuntimeProfile) -> None:
    kind = str((floe_dbt_profile.metadata or {}).get("type"))
    checks.check_span_attributes(calls, kind, runs(HEALTHY).harness.target)


@requirement("spans.status")
def test_spans_status(calls: list[Call]) -> None:
    checks.check_span_status(calls)


@requirement("secrets.errors")
def test_no_secret_in_errors(calls: list[Call], floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_errors(calls, floe_dbt_profile.secrets))


@requirement("secrets.spans")
def test_no_secret_in_spans(calls: list[Call], floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_spans(calls, floe_dbt_profile.secrets))


@requirement("secrets.logs")
def test_no_secret_in_logs(calls: list[Call], floe_dbt_profile: RuntimeProfile) -> None:
    checks.fail_all(leaks.secrets_in_logs(calls, floe_dbt_profile.secrets))


@requirement("secrets.files")
@pytest.mark.usefixtures("calls")  # performed first: what they wrote into each copy is read
def test_no_secret_in_files(
    runs: Runs, floe_dbt_row: Requirement, floe_dbt_profile: RuntimeProfile
) -> None:
    problems = []
    for scenario, _keys in floe_dbt_row.reads:
        root = runs(scenario).harness.project_dir
        problems += leaks.secrets_in_files(root, floe_dbt_profile.secrets)
    checks.fail_all(problems)
