"""DBTCloudPlugin against pytest-httpx: the whole request sequence, results, errors, redaction."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from unittest.mock import ANY

import pytest
from cloud_helpers import (
    ACCOUNT,
    API,
    BASE,
    JOB_IDS,
    TOKEN,
    FakeTime,
    catalog,
    manifest,
    run_payload,
    run_results,
    step,
    unit_plugin,
)
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTExecutionError,
    DBTExecutionTimeout,
    DBTRemoteError,
)
from floe_core.secrets import EnvSecretsPlugin
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.config import CloudRuntimeConfig

RUN_STEPS = [
    step(1, "Clone Git Repository"),
    step(2, "Create Profile from Connection"),
    step(3, "Invoke dbt with `dbt deps`"),
    step(4, "Invoke dbt with `dbt run --select customers`"),
    step(5, "Invoke dbt with `dbt docs generate`"),
]
MANIFEST = manifest("model.p.customers")
CATALOG = catalog("model.p.customers")


def _mock_run(
    httpx_mock: HTTPXMock,
    *,
    run_id: int = 900,
    job_id: int = 12,
    final_status: int = 10,
    steps: list[dict[str, object]] | None = None,
    results: bytes | None = None,
    artifact_step: int = 4,
) -> None:
    steps = RUN_STEPS if steps is None else steps
    httpx_mock.add_response(
        method="POST", url=f"{API}/jobs/{job_id}/run/", json=run_payload(run_id, 1, job_id=job_id)
    )
    poll = f"{API}/runs/{run_id}/?include_related=run_steps"
    httpx_mock.add_response(url=poll, json=run_payload(run_id, 3, job_id=job_id, steps=steps[:2]))
    httpx_mock.add_response(
        url=poll, json=run_payload(run_id, final_status, job_id=job_id, steps=steps)
    )
    artifacts = f"{API}/runs/{run_id}/artifacts"
    if results is not None:
        httpx_mock.add_response(
            url=f"{artifacts}/run_results.json?step={artifact_step}", content=results
        )
        httpx_mock.add_response(
            url=f"{artifacts}/manifest.json?step={artifact_step}", content=MANIFEST
        )
        docs = [s["index"] for s in steps if "`dbt docs generate" in str(s["name"])]
        if docs:
            httpx_mock.add_response(
                url=f"{artifacts}/catalog.json?step={docs[-1]}", content=CATALOG
            )


def test_run_models_triggers_polls_and_reads_the_step_that_ran_the_command(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    _mock_run(httpx_mock, results=run_results(("model.p.customers", "success")))
    plugin = unit_plugin(tmp_path, fake_time)
    result = plugin.run_models(tmp_path / "proj", tmp_path / "proj", "prod", select="customers")

    requests = httpx_mock.get_requests()
    assert [(r.method, r.url.path, r.url.query.decode()) for r in requests] == [
        ("POST", f"/api/v2/accounts/{ACCOUNT}/jobs/12/run/", ""),
        ("GET", f"/api/v2/accounts/{ACCOUNT}/runs/900/", "include_related=run_steps"),
        ("GET", f"/api/v2/accounts/{ACCOUNT}/runs/900/", "include_related=run_steps"),
        ("GET", f"/api/v2/accounts/{ACCOUNT}/runs/900/artifacts/run_results.json", "step=4"),
        ("GET", f"/api/v2/accounts/{ACCOUNT}/runs/900/artifacts/manifest.json", "step=4"),
        # the catalog comes from the `dbt docs generate` step, not the run step
        ("GET", f"/api/v2/accounts/{ACCOUNT}/runs/900/artifacts/catalog.json", "step=5"),
    ]
    body = json.loads(requests[0].content)
    assert body == {
        "cause": ANY,
        "target_name_override": "prod",  # the caller's target is dbt Cloud's target.name
        "steps_override": ["dbt run --select customers"],
    }
    assert re.fullmatch(r"floe-dbt: dbt run \[[0-9a-f]{32}\]", body["cause"])
    assert all(r.headers["Authorization"] == f"Token {TOKEN}" for r in requests)
    assert (result.success, result.models_run, result.tests_run, result.failures) == (True, 1, 0, 0)
    assert result.run_results_path == tmp_path / "proj" / "target" / "run_results.json"
    assert result.run_results_path.read_bytes() == run_results(("model.p.customers", "success"))
    assert result.manifest_path.read_bytes() == MANIFEST
    assert result.catalog_path is not None
    assert result.catalog_path.read_bytes() == CATALOG
    cached = json.loads((tmp_path / "cache" / "900" / "metadata.json").read_text())
    assert cached["artifacts"] == ["catalog.json", "manifest.json", "run_results.json"]
    assert result.metadata["run_id"] == 900
    assert result.metadata["step"] == 4
    assert fake_time.sleeps == [0.5]  # one wait: interval/8


def test_without_selectors_no_steps_override_is_sent(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Clone Git Repository"), step(2, "Invoke dbt with `dbt test`")]
    _mock_run(
        httpx_mock,
        job_id=13,
        steps=steps,
        artifact_step=2,
        results=run_results(("test.p.t1", "pass"), ("test.p.t2", "fail")),
    )
    result = unit_plugin(tmp_path, fake_time).run_tests(tmp_path, tmp_path, "dev")
    body = json.loads(httpx_mock.get_requests()[0].content)
    assert sorted(body) == ["cause", "target_name_override"]
    assert body["cause"].startswith("floe-dbt: dbt test [")
    assert (result.success, result.tests_run, result.failures) == (False, 2, 1)


def test_full_refresh_and_exclude_become_the_step(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Invoke dbt with `dbt run --exclude fct_orders --full-refresh`")]
    _mock_run(httpx_mock, steps=steps, artifact_step=1, results=run_results())
    unit_plugin(tmp_path, fake_time).run_models(
        tmp_path, tmp_path, "dev", exclude="fct_orders", full_refresh=True
    )
    assert json.loads(httpx_mock.get_requests()[0].content)["steps_override"] == [
        "dbt run --exclude fct_orders --full-refresh"
    ]


@pytest.mark.parametrize("target", ["dev --full-refresh", "-t", "", "prod;rm", "dev\nprod"])
def test_a_target_that_is_not_a_target_name_is_refused_before_any_request(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, target: str
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    for call in (plugin.compile_project, plugin.run_models, plugin.run_tests, plugin.build):
        with pytest.raises(DBTConfigurationError, match="is not a profile target name"):
            call(tmp_path, tmp_path, target)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("unusable", ["loop", "file"])
def test_a_project_dir_its_artifacts_cannot_reach_is_refused_before_any_request(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, unusable: str
) -> None:
    # The remote run would change the warehouse and its artifacts would then be lost.
    project_dir = tmp_path / "project"
    if unusable == "loop":
        project_dir.symlink_to("project")
    else:
        project_dir.mkdir()
        (project_dir / "target").write_text("a file where the directory should be")
    plugin = unit_plugin(tmp_path, fake_time)
    for call in (plugin.compile_project, plugin.run_models, plugin.run_tests, plugin.build):
        with pytest.raises(DBTExecutionError, match="cannot write dbt Cloud artifacts into"):
            call(project_dir, tmp_path, "dev")
    assert httpx_mock.get_requests() == []


def test_a_bad_selector_is_refused_before_any_request(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(DBTConfigurationError, match="not a dbt selector"):
        unit_plugin(tmp_path, fake_time).run_models(
            tmp_path, tmp_path, "dev", select="a; drop table x"
        )
    assert httpx_mock.get_requests() == []


def test_a_failed_model_is_a_result_not_an_exception(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    _mock_run(
        httpx_mock,
        final_status=20,
        results=run_results(
            ("model.p.a", "success"), ("model.p.b", "error"), ("model.p.c", "skipped")
        ),
    )
    result = unit_plugin(tmp_path, fake_time).run_models(
        tmp_path, tmp_path, "dev", select="customers"
    )
    assert (result.success, result.models_run, result.failures) == (False, 2, 1)
    assert result.metadata["status"] == "Error"


def test_an_errored_run_without_run_results_is_a_compilation_error_with_the_logs(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [
        *RUN_STEPS[:3],
        step(
            4,
            "Invoke dbt with `dbt run --select customers`",
            20,
            "Compilation Error in model customers: unexpected '}'",
        ),
    ]
    _mock_run(httpx_mock, final_status=20, steps=steps)
    httpx_mock.add_response(
        url=f"{API}/runs/900/artifacts/run_results.json?step=4",
        status_code=404,
        json={
            "status": {
                "code": 404,
                "is_success": False,
                "user_message": "Not found",
                "developer_message": None,
            },
            "data": None,
        },
    )
    with pytest.raises(DBTCompilationError, match=r"run 900 could not compile .*unexpected '\}'"):
        unit_plugin(tmp_path, fake_time).run_models(tmp_path, tmp_path, "dev", select="customers")
    assert not (tmp_path / "cache").exists()


def test_a_successful_run_without_run_results_names_the_run_and_step(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    _mock_run(httpx_mock)
    httpx_mock.add_response(
        url=f"{API}/runs/900/artifacts/run_results.json?step=4", status_code=404
    )
    with pytest.raises(
        DBTArtifactNotFoundError, match=r"run 900 step 4 saved no run_results\.json"
    ):
        unit_plugin(tmp_path, fake_time).run_models(tmp_path, tmp_path, "dev", select="customers")


def test_a_cancelled_run_is_an_error(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    _mock_run(httpx_mock, final_status=30)
    with pytest.raises(DBTExecutionError, match=r"run 900 .* was cancelled"):
        unit_plugin(tmp_path, fake_time).run_models(tmp_path, tmp_path, "dev", select="customers")


def test_a_job_without_the_command_is_a_configuration_error(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    _mock_run(httpx_mock, steps=[step(1, "Invoke dbt with `dbt build`")])
    with pytest.raises(DBTConfigurationError, match=r"job 12 ran no `dbt run` step"):
        unit_plugin(tmp_path, fake_time).run_models(tmp_path, tmp_path, "dev", select="customers")


def test_timeout_cancels_remotely_and_raises(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", url=f"{API}/jobs/12/run/", json=run_payload(901, 1))
    httpx_mock.add_response(
        url=f"{API}/runs/901/?include_related=run_steps", json=run_payload(901, 3), is_reusable=True
    )
    httpx_mock.add_response(method="POST", url=f"{API}/runs/901/cancel/", json=run_payload(901, 30))
    plugin = unit_plugin(tmp_path, fake_time, timeout_seconds=20, poll_interval_seconds=4)
    with pytest.raises(DBTExecutionTimeout, match="run 901 did not finish"):
        plugin.run_models(tmp_path, tmp_path, "dev")
    assert [r.method for r in httpx_mock.get_requests()][-1] == "POST"
    assert sum(fake_time.sleeps) == pytest.approx(20)


def test_compile_project_writes_the_manifest_and_the_cache(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Clone Git Repository"), step(2, "Invoke dbt with `dbt compile`")]
    httpx_mock.add_response(
        method="POST", url=f"{API}/jobs/11/run/", json=run_payload(902, 1, job_id=11)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/902/?include_related=run_steps",
        json=run_payload(902, 10, job_id=11, steps=steps),
    )
    httpx_mock.add_response(url=f"{API}/runs/902/artifacts/manifest.json?step=2", content=MANIFEST)
    plugin = unit_plugin(tmp_path, fake_time)
    path = plugin.compile_project(tmp_path / "proj", tmp_path / "proj", "dev")
    assert path == tmp_path / "proj" / "target" / "manifest.json"
    assert path.read_bytes() == MANIFEST
    metadata = json.loads((tmp_path / "cache" / "902" / "metadata.json").read_text())
    assert (metadata["run_id"], metadata["account_id"], metadata["job_id"]) == (
        "902",
        ACCOUNT,
        "11",
    )
    # The cache now answers get_manifest without another request.
    assert plugin.get_manifest(tmp_path / "proj") == json.loads(MANIFEST)
    assert len(httpx_mock.get_requests()) == 3


def test_a_run_id_that_is_not_a_number_never_reaches_the_disk(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    payload = run_payload(903, 1)
    payload["data"]["id"] = "../../x"  # type: ignore[index]
    httpx_mock.add_response(method="POST", url=f"{API}/jobs/12/run/", json=payload)
    with pytest.raises(DBTRemoteError, match="expected shape"):
        unit_plugin(tmp_path, fake_time).run_models(tmp_path, tmp_path, "dev")
    assert not (tmp_path / "cache").exists()


def test_from_config_resolves_the_token_through_the_secrets_plugin(tmp_path: Path) -> None:
    config = CloudRuntimeConfig(
        account_id="12345",
        api_token_ref="dbt-cloud-api-token",
        job_ids={"compile": 1, "run": 2, "test": 3},
        poll_interval_seconds=2,
        timeout_seconds=30,
        cache_ttl_hours=5,
        cache_dir=tmp_path / "c",
        base_url="https://emea.dbt.com/api/v2",
    )
    secrets = EnvSecretsPlugin(environ={"FLOE_SECRET_DBT_CLOUD_API_TOKEN": TOKEN})
    plugin = DBTCloudPlugin.from_config(config, secrets, no_cache=True)
    assert plugin.no_cache
    assert (plugin.account_id, plugin.base_url, plugin.job_ids.run) == (
        "12345",
        "https://emea.dbt.com/api/v2",
        2,
    )
    assert (plugin.poll_interval_seconds, plugin.timeout_seconds) == (2, 30)
    assert plugin.cache.ttl.total_seconds() == 5 * 3600
    assert plugin.discovery_url == "https://metadata.emea.dbt.com/graphql"
    with pytest.raises(DBTConfigurationError, match="FLOE_SECRET_DBT_CLOUD_API_TOKEN"):
        DBTCloudPlugin.from_config(config, EnvSecretsPlugin(environ={}))
    with pytest.raises(DBTConfigurationError, match=r"dbt_runtime_config\.cloud"):
        DBTCloudPlugin.from_config(None, secrets)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_token": TOKEN}, "SecretStr"),
        ({"job_ids": None}, "job_ids is required"),
        ({"job_ids": {"run": 1}}, "job_ids must map compile, run and test"),
        ({"job_ids": {**JOB_IDS, "deploy": 4}}, "job_ids must map compile, run and test"),
        ({"job_ids": {**JOB_IDS, "seed": 0}}, "job_ids.seed must be a positive dbt Cloud job id"),
        ({"job_ids": {**JOB_IDS, "build": True}}, "job_ids.build must be a positive"),
        ({"account_id": "acme"}, "numeric dbt Cloud account id"),
    ],
)
def test_bad_construction_is_a_clear_error(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "account_id": ACCOUNT,
        "api_token": SecretStr(TOKEN),
        "job_ids": JOB_IDS,
    }
    arguments.update(kwargs)
    with pytest.raises(DBTConfigurationError, match=message) as raised:
        DBTCloudPlugin(**arguments)  # type: ignore[arg-type]
    assert TOKEN not in str(raised.value)


def test_runtime_metadata_and_parallelism(tmp_path: Path, fake_time: FakeTime) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    metadata = plugin.get_runtime_metadata()
    assert metadata["type"] == "cloud"
    # The lifecycle commands run on the run job unless told otherwise.
    lifecycle = {"seed": 12, "snapshot": 12, "build": 12}
    assert (metadata["account_id"], metadata["base_url"], metadata["job_ids"]) == (
        ACCOUNT,
        BASE,
        {**JOB_IDS, **lifecycle},
    )
    assert metadata["bound_vars"] == []
    json.dumps(metadata)
    assert plugin.supports_parallel_execution() is True


def test_the_token_appears_nowhere(
    tmp_path: Path,
    fake_time: FakeTime,
    httpx_mock: HTTPXMock,
    caplog: pytest.LogCaptureFixture,
    cloud_spans,
) -> None:
    caplog.set_level(logging.DEBUG)
    _mock_run(httpx_mock, results=run_results(("model.p.customers", "success")))
    httpx_mock.add_response(
        method="POST",
        url=f"{API}/jobs/13/run/",
        status_code=401,
        json={
            "status": {
                "code": 401,
                "is_success": False,
                "user_message": "Invalid token.",
                "developer_message": None,
            },
            "data": None,
        },
    )
    plugin = unit_plugin(tmp_path, fake_time)
    result = plugin.run_models(tmp_path / "p", tmp_path / "p", "dev", select="customers")
    with pytest.raises(DBTRemoteError) as raised:
        plugin.run_tests(tmp_path / "p", tmp_path / "p", "dev")

    places = {
        "repr": repr(plugin),
        "str": str(plugin),
        "vars": repr(vars(plugin)),
        "metadata": json.dumps(plugin.get_runtime_metadata()),
        "result": result.model_dump_json(),
        "exception": f"{raised.value!s} {raised.value!r} {raised.value.__cause__!r}",
        "logs": caplog.text,
        "spans": json.dumps(
            [
                {
                    **dict(s.attributes or {}),
                    "events": [dict(e.attributes or {}) for e in s.events],
                    "status": s.status.description,
                }
                for s in cloud_spans()
            ]
        ),
    }
    for file in (tmp_path / "cache").rglob("*"):
        places[str(file)] = file.read_text() if file.is_file() else ""
    for place, text in places.items():
        assert TOKEN not in text, place
    run_span, test_span = cloud_spans()
    assert (run_span.name, test_span.name) == ("floe.dbt.run", "floe.dbt.test")
    assert run_span.attributes["floe.dbt.runtime"] == "cloud"
    assert run_span.attributes["floe.dbt.select"] == "customers"
    assert run_span.attributes["floe.dbt.models_run"] == 1
    assert run_span.attributes["floe.dbt.success"] is True
    assert not test_span.status.is_ok  # the 401 is recorded on the span


@pytest.mark.parametrize("through", ["dbt_project.yml", "DBT_TARGET_PATH"])
def test_artifacts_go_to_the_projects_target_path_as_dbt_resolves_it(
    tmp_path: Path,
    fake_time: FakeTime,
    httpx_mock: HTTPXMock,
    monkeypatch: pytest.MonkeyPatch,
    through: str,
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: p\nprofile: p\ntarget-path: from_project\n")
    expected = project / "from_project"
    if through == "DBT_TARGET_PATH":
        # The environment wins over dbt_project.yml, as with dbt itself (and the local runtime).
        monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "elsewhere"))
        expected = tmp_path / "elsewhere"
    _mock_run(httpx_mock, results=run_results(("model.p.customers", "success")))
    plugin = unit_plugin(tmp_path, fake_time)
    result = plugin.run_models(project, project, "prod", select="customers")
    assert result.run_results_path == expected / "run_results.json"
    assert result.manifest_path.read_bytes() == MANIFEST
    assert not (project / "target").exists()
    assert plugin.get_run_results(project) == json.loads(result.run_results_path.read_bytes())
