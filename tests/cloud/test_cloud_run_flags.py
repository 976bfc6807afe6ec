"""The cloud runtime's fail-fast and state capabilities against pytest-httpx: what each step says.

``with_fail_fast`` and ``with_state`` bind ``--fail-fast``, ``--state`` and
``--defer`` to every job step (a ``steps_override``); the state directory is
sent relative to the project (dbt Cloud runs the project's repository), and
one outside the project is refused before any request. The emulator reads
each step back to the same flags.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloud_helpers import API, FakeTime, manifest, run_payload, run_results, step, unit_plugin
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTConfigurationError
from floe_core.run_flags import supports_fail_fast, supports_state
from floe_core.vocabulary import DbtArguments, RunFlags
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator.steps import parse_step

SETUP = [step(1, "Clone Git Repository"), step(2, "Create Profile from Connection")]


def _mock_run(httpx_mock: HTTPXMock, job_id: int, command: str, run_id: int) -> None:
    steps = [*SETUP, step(3, f"Invoke dbt with `{command}`")]
    httpx_mock.add_response(
        method="POST", url=f"{API}/jobs/{job_id}/run/", json=run_payload(run_id, 1, job_id=job_id)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/?include_related=run_steps",
        json=run_payload(run_id, 20, job_id=job_id, steps=steps),
    )
    artifacts = f"{API}/runs/{run_id}/artifacts"
    results = run_results(("model.p.broken", "error"), ("model.p.independent", "skipped"))
    httpx_mock.add_response(url=f"{artifacts}/run_results.json?step=3", content=results)
    httpx_mock.add_response(url=f"{artifacts}/manifest.json?step=3", content=manifest("model.p.a"))


def _sent(httpx_mock: HTTPXMock) -> list[Any]:
    posts = [r for r in httpx_mock.get_requests() if r.method == "POST"]
    return [json.loads(request.content).get("steps_override") for request in posts]


def test_bound_flags_reach_every_step_and_leave_the_original_alone(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    project = tmp_path / "proj"
    plugin = unit_plugin(tmp_path, fake_time)
    assert supports_fail_fast(plugin)
    assert supports_state(plugin)
    ci = plugin.with_fail_fast().with_state(project / "prod state", defer=True)
    assert type(ci) is DBTCloudPlugin
    assert ci is not plugin
    assert ci.get_runtime_metadata()["bound_flags"] == ["fail_fast", "state", "defer"]
    assert plugin.get_runtime_metadata()["bound_flags"] == []
    assert "flags=['fail_fast', 'state', 'defer']" in repr(ci)
    _mock_run(httpx_mock, 12, "dbt run", 1)
    _mock_run(httpx_mock, 13, "dbt test", 2)
    _mock_run(httpx_mock, 12, "dbt build", 3)
    _mock_run(httpx_mock, 12, "dbt run", 4)
    ran = ci.run_models(project, project, "ci", select="state:modified+")
    # A fail-fast stop is a failed result, counted as dbt's run_results say, not an exception.
    assert (ran.success, ran.models_run, ran.failures) == (False, 1, 1)
    ci.run_tests(project, project, "ci")
    ci.with_fail_fast(False).build(project, project, "ci")
    plugin.run_models(project, project, "ci")
    assert _sent(httpx_mock) == [
        ["dbt run --select state:modified+ --fail-fast --state 'prod state' --defer"],
        ["dbt test --fail-fast --state 'prod state' --defer"],
        ["dbt build --state 'prod state' --defer"],
        None,  # the original binds nothing: the job runs its own steps
    ]
    for sent, flags in zip(
        _sent(httpx_mock)[:3],
        [RunFlags(True, Path("prod state"), True)] * 2
        + [RunFlags(False, Path("prod state"), True)],
        strict=True,
    ):
        assert parse_step(sent[0]).arguments.run_flags == flags
    ci.close()
    plugin.close()


def test_a_state_outside_the_project_is_refused_before_any_request(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    project = tmp_path / "proj"
    bound = unit_plugin(tmp_path, fake_time).with_state(tmp_path / "elsewhere")
    with pytest.raises(DBTConfigurationError, match="is not inside the project"):
        bound.run_models(project, project, "ci")
    with pytest.raises(DBTConfigurationError, match="is not inside the project"):
        bound.compile_project(project, project, "ci")
    assert httpx_mock.get_requests() == []
    with pytest.raises(DBTConfigurationError, match="state must be the path"):
        unit_plugin(tmp_path, fake_time).with_state(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("dbt build -x", RunFlags(fail_fast=True)),
        ("dbt run --state prod --defer", RunFlags(state=Path("prod"), defer=True)),
        ("dbt test --fail-fast --state 'a b'", RunFlags(True, Path("a b"))),
    ],
)
def test_the_emulator_reads_dbt_s_spellings_of_the_flags(text: str, flags: RunFlags) -> None:
    assert parse_step(text).arguments.run_flags == flags


def test_the_emulator_refuses_defer_without_state() -> None:
    with pytest.raises(ValueError, match="defer needs a state"):
        parse_step("dbt run --defer")


# Directory names a shell would act on: they must reach dbt as the directory's name.
_NAMES = st.text(
    alphabet=st.sampled_from([*"ab '\"$`\\;&|(){}[]*?!#~<>%\t:,-=.", "é", "😀"]),
    min_size=1,
    max_size=16,
).filter(lambda name: name.strip() not in ("", ".", ".."))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(_NAMES, st.booleans(), st.booleans())
def test_a_state_directory_survives_the_step_command_line_exactly(
    name: str, fail_fast: bool, defer: bool
) -> None:
    flags = RunFlags(fail_fast, Path(name), defer)
    text = DbtArguments.of("build", select="state:modified+", run_flags=flags).command_line()
    assert parse_step(text).arguments.run_flags == flags
