"""The cloud runtime's lifecycle capability against pytest-httpx: jobs, steps, vars, counts.

seed, snapshot and build always run as ``steps_override`` (``dbt seed ...``)
of their job (the run job unless configured), read the artifacts of their
own step, and count as ``floe_core.lifecycle`` says. ``with_vars`` binds
``--vars`` to every invocation, the seven methods included.
"""

from __future__ import annotations

import inspect
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloud_helpers import (
    ACCOUNT,
    API,
    BASE,
    JOB_IDS,
    TOKEN,
    FakeTime,
    manifest,
    run_payload,
    run_results,
    step,
    unit_plugin,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTConfigurationError
from floe_core.lifecycle import DBTLifecycle, supports_lifecycle
from floe_core.vocabulary import DbtArguments
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator.steps import parse_step

SETUP = [step(1, "Clone Git Repository"), step(2, "Create Profile from Connection")]


def _mock_command(
    httpx_mock: HTTPXMock,
    *,
    job_id: int,
    command: str,
    results: bytes,
    run_id: int = 900,
    final_status: int = 10,
) -> None:
    """One run of ``job_id`` whose step 3 ran the command (then docs, whose files are not read)."""
    steps = [*SETUP, step(3, f"Invoke dbt with `{command}`"), step(4, "Invoke dbt with `dbt ls`")]
    httpx_mock.add_response(
        method="POST", url=f"{API}/jobs/{job_id}/run/", json=run_payload(run_id, 1, job_id=job_id)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/{run_id}/?include_related=run_steps",
        json=run_payload(run_id, final_status, job_id=job_id, steps=steps),
    )
    artifacts = f"{API}/runs/{run_id}/artifacts"
    httpx_mock.add_response(url=f"{artifacts}/run_results.json?step=3", content=results)
    httpx_mock.add_response(url=f"{artifacts}/manifest.json?step=3", content=manifest("seed.p.a"))


def _sent(httpx_mock: HTTPXMock) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in httpx_mock.get_requests() if r.method == "POST"]


def _where(tmp_path: Path) -> tuple[Path, Path, str]:
    project = tmp_path / "proj"
    return project, project, "prod"


def test_the_cloud_runtime_declares_the_capability_with_its_exact_signatures(
    tmp_path: Path, fake_time: FakeTime
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    assert supports_lifecycle(plugin)
    for name in ("seed", "snapshot", "build", "with_vars"):
        declared = inspect.signature(getattr(DBTLifecycle, name))
        assert inspect.signature(getattr(DBTCloudPlugin, name)) == declared, name


def test_seed_runs_on_the_run_job_as_a_step_and_counts_seeds(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    results = run_results(
        ("seed.p.raw_customers", "success"), ("seed.p.bad", "error"), ("seed.p.skip", "skipped")
    )
    _mock_command(httpx_mock, job_id=12, command="dbt seed", results=results)
    result = unit_plugin(tmp_path, fake_time).seed(
        *_where(tmp_path), select="raw_customers bad", exclude="skip", full_refresh=True
    )
    [body] = _sent(httpx_mock)
    assert body["steps_override"] == [
        "dbt seed --select raw_customers bad --exclude skip --full-refresh"
    ]
    assert body["cause"].startswith("floe-dbt: dbt seed [")
    assert (result.success, result.models_run, result.tests_run, result.failures) == (
        False,
        0,
        0,
        1,
    )
    assert (result.metadata["seeds_run"], result.metadata["snapshots_run"]) == (2, 0)
    assert (result.metadata["job_id"], result.metadata["step"]) == (12, 3)
    assert result.run_results_path.read_bytes() == results


def test_snapshot_and_build_run_on_their_own_jobs_when_configured(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    plugin = DBTCloudPlugin(
        ACCOUNT,
        SecretStr(TOKEN),
        BASE,
        {**JOB_IDS, "snapshot": 21, "build": 22},
        cache_dir=tmp_path / "cache",
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    _mock_command(
        httpx_mock,
        job_id=21,
        command="dbt snapshot",
        results=run_results(("snapshot.p.customers_snapshot", "success")),
    )
    snapshot = plugin.snapshot(*_where(tmp_path))
    assert (snapshot.success, snapshot.metadata["snapshots_run"], snapshot.models_run) == (
        True,
        1,
        0,
    )
    build_results = run_results(
        ("seed.p.raw", "success"),
        ("snapshot.p.snap", "success"),
        ("model.p.stg", "success"),
        ("test.p.not_null_stg_id.abc", "fail"),
        ("model.p.mart", "skipped"),
    )
    _mock_command(httpx_mock, job_id=22, command="dbt build", results=build_results, run_id=901)
    built = plugin.build(*_where(tmp_path), vars={"start_date": "2018-02-01"})
    assert (built.success, built.models_run, built.tests_run, built.failures) == (False, 1, 1, 1)
    assert (built.metadata["seeds_run"], built.metadata["snapshots_run"]) == (1, 1)
    assert [body["steps_override"] for body in _sent(httpx_mock)] == [
        ["dbt snapshot"],
        ['dbt build --vars \'{"start_date": "2018-02-01"}\''],
    ]


def test_with_vars_binds_every_invocation_and_leaves_the_original_alone(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    march = plugin.with_vars({"start_date": "2018-03-01"})
    assert type(march) is DBTCloudPlugin
    assert "start_date" in repr(march)
    assert "2018-03-01" not in repr(march)  # names only: a value may be a credential
    assert march.get_runtime_metadata()["bound_vars"] == ["start_date"]
    both = run_results(("model.p.orders", "success"))
    _mock_command(httpx_mock, job_id=12, command="dbt run", results=both, run_id=1)
    _mock_command(httpx_mock, job_id=13, command="dbt test", results=both, run_id=2)
    _mock_command(httpx_mock, job_id=12, command="dbt build", results=both, run_id=3)
    _mock_command(httpx_mock, job_id=12, command="dbt run", results=both, run_id=4)
    march.run_models(*_where(tmp_path))
    march.run_tests(*_where(tmp_path), select="orders")
    # A call's vars are merged over the bound ones (top-level keys replace).
    march.build(*_where(tmp_path), vars={"payment_methods": ["coupon"], "start_date": "x"})
    plugin.run_models(*_where(tmp_path))  # the original binds nothing: the job's own steps
    steps = [body.get("steps_override") for body in _sent(httpx_mock)]
    assert steps == [
        ['dbt run --vars \'{"start_date": "2018-03-01"}\''],
        ['dbt test --select orders --vars \'{"start_date": "2018-03-01"}\''],
        ['dbt build --vars \'{"start_date": "x", "payment_methods": ["coupon"]}\''],
        None,
    ]
    # Closing the bound copy leaves the shared connection pool to the original.
    march.close()
    _mock_command(httpx_mock, job_id=12, command="dbt run", results=both, run_id=5)
    assert plugin.run_models(*_where(tmp_path)).success
    plugin.close()


def test_bound_vars_reach_the_compile_job(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Invoke dbt with `dbt compile --vars '{\"x\": 1}'`")]
    httpx_mock.add_response(
        method="POST", url=f"{API}/jobs/11/run/", json=run_payload(7, 1, job_id=11)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/7/?include_related=run_steps",
        json=run_payload(7, 10, job_id=11, steps=steps),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/7/artifacts/manifest.json?step=1", content=manifest("model.p.a")
    )
    unit_plugin(tmp_path, fake_time).with_vars({"x": 1}).compile_project(*_where(tmp_path))
    assert _sent(httpx_mock)[0]["steps_override"] == ["dbt compile --vars '{\"x\": 1}'"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p, w: p.seed(*w, vars={"when": {1, 2}}), "vars must hold JSON values"),
        (lambda p, w: p.build(*w, vars=["x"]), "vars must be a mapping"),
        (lambda p, w: p.with_vars({"x": float("nan")}), "not a finite number"),
        (lambda p, w: p.snapshot(*w, select="snap --target prod"), "not a dbt selector"),
        (lambda p, w: p.seed(*w, exclude="a;b"), "not a dbt selector"),
    ],
    ids=["a set", "a list", "NaN", "a flag in select", "a ; in exclude"],
)
def test_bad_vars_and_selectors_are_refused_before_any_request(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, call: Any, message: str
) -> None:
    with pytest.raises(DBTConfigurationError, match=message):
        call(unit_plugin(tmp_path, fake_time), _where(tmp_path))
    assert httpx_mock.get_requests() == []


# Text a shell would act on, inside a var: it must reach dbt as the var's value.
_HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from([*"ab '\"$`\\;&|(){}[]*?!#~<>%\n\t:,-=", "é", "😀"]),
    max_size=20,
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | _HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_HOSTILE_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcxyz_", min_size=1, max_size=8), _VALUES, min_size=1, max_size=4
    )
)
def test_vars_survive_the_step_command_line_exactly(variables: dict[str, Any]) -> None:
    """Quoted for dbt Cloud's shell rules and read back as dbt reads --vars: the same mapping."""
    step_text = DbtArguments.of("build", select="orders", vars=variables).command_line()
    words = shlex.split(step_text)
    assert words[:4] == ["dbt", "build", "--select", "orders"]
    assert words[4] == "--vars"
    assert len(words) == 6
    parsed = parse_step(step_text)
    assert (parsed.command, parsed.select) == ("build", "orders")
    assert parsed.vars == variables
    assert yaml.safe_load(parsed.vars.render()) == variables
