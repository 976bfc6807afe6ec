"""The troubleshooting page's messages of the second hardening round, provoked by the code.

Same rules as ``test_docs_troubleshooting.py``: each message is raised (or
printed) by the code with the page's values and compared with the page's
tagged block; a temporary directory stands for the page's path.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from pydantic import SecretStr
from test_docs_troubleshooting import documented
from test_docs_troubleshooting_cloud import JOB_IDS, _envelope
from unprivileged import obeying_permissions

from floe_core.cli import main
from floe_core.errors import DBTArtifactNotFoundError, DBTConfigurationError, DBTExecutionError
from floe_core.selectors import vars_argument
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_local import LocalDBTPlugin

pytest_plugins = ("pytester",)

SHOWN_PROJECT = "/srv/dbt/analytics"


@pytest.fixture
def analytics(tmp_path: Path) -> ProjectCopy:
    return copy_project("lifecycle", tmp_path)


def _as_shown(text: str, copy: ProjectCopy) -> str:
    return text.replace(str(copy.project_dir), SHOWN_PROJECT)


def test_local_project_file_not_a_file_message(analytics: ProjectCopy) -> None:
    seed = analytics.project_dir / "seeds" / "orders.csv"
    seed.unlink()
    os.mkfifo(seed)
    with pytest.raises(DBTExecutionError) as caught:
        LocalDBTPlugin().seed(analytics.project_dir, analytics.profiles_dir, "dev")
    assert _as_shown(str(caught.value), analytics) == documented("local-project-file-not-a-file")


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_local_target_not_writable_message(tmp_path: Path) -> None:
    copy = copy_project("healthy", tmp_path)
    (copy.project_dir / "target").mkdir(mode=0o555)
    runtime = LocalDBTPlugin()
    with pytest.raises(DBTExecutionError) as caught:
        obeying_permissions(lambda: runtime.run_models(copy.project_dir, copy.profiles_dir, "dev"))
    assert _as_shown(str(caught.value), copy) == documented("local-target-not-writable")


def test_artifact_not_a_file_message(analytics: ProjectCopy) -> None:
    target = analytics.project_dir / "target"
    target.mkdir()
    os.mkfifo(target / "manifest.json")
    with pytest.raises(DBTArtifactNotFoundError) as caught:
        LocalDBTPlugin().get_manifest(analytics.project_dir)
    assert _as_shown(str(caught.value), analytics) == documented("artifact-not-a-file")


def test_vars_messages(tmp_path: Path) -> None:
    deep: dict[str, object] = {"and": 1}
    for _ in range(100):
        deep = {"and": deep}
    with pytest.raises(DBTConfigurationError) as caught:
        vars_argument({"filters": deep})
    assert str(caught.value) == documented("vars-too-deep")
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: local\n")
    latin1 = b"{label: caf\xe9}".decode("utf-8", "surrogateescape")  # as argv gives it
    result = CliRunner().invoke(main, ["run", "--manifest", str(manifest), "--vars", latin1])
    assert result.stderr.splitlines()[-1] == documented("vars-cli-not-utf8")


def test_number_bound_constructor_message() -> None:
    with pytest.raises(DBTConfigurationError) as caught:
        DBTCloudPlugin(
            "12345",
            SecretStr("dbtc_revoked"),
            job_ids=JOB_IDS,
            poll_interval_seconds=1e-300,
        )
    assert str(caught.value) == documented("number-bound-constructor")


def test_placeholder_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("manifest.yaml").write_text("plugins:\n  dbt_runtime: fusion\n")
    run = CliRunner().invoke(main, ["run"])
    assert run.exit_code == 2
    assert run.stderr.splitlines()[-1] == documented("fusion-cli")
    validate = CliRunner().invoke(main, ["validate", "manifest.yaml"])
    assert validate.exit_code == 1
    assert validate.stderr.strip() == documented("fusion-validate")


def test_secret_reference_not_a_name_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("manifest.yaml").write_text(
        "plugins:\n  dbt_runtime: cloud\n  dbt_runtime_config:\n    cloud:\n"
        '      account_id: "12345"\n      api_token_ref: hG7kq2Lp9xW3\n'
        "      job_ids: {compile: 67890, run: 67891, test: 67892}\n"
    )
    monkeypatch.delenv("FLOE_SECRET_HG7KQ2LP9XW3", raising=False)
    result = CliRunner().invoke(main, ["validate", "manifest.yaml"])
    assert result.exit_code == 1
    assert result.stderr.strip() == documented("secret-ref-not-a-name")


def _run_without_manifest(request: httpx.Request) -> httpx.Response:
    """dbt Cloud: run 640 of the run job succeeded, but its step 3 saved no manifest.json."""
    run = {"id": 640, "account_id": 12345, "job_definition_id": 67891, "status": 10}
    steps = [
        {"index": index, "name": name, "status": 10}
        for index, name in enumerate(
            ["Clone Git Repository", "Create Profile", "Invoke dbt with `dbt run`"], start=1
        )
    ]
    if request.method == "POST":
        return httpx.Response(200, json=_envelope({**run, "status": 1}))
    if request.url.path.endswith("/runs/640/"):
        return httpx.Response(200, json=_envelope({**run, "run_steps": steps}))
    if request.url.path.endswith("/run_results.json"):
        schema = "https://schemas.getdbt.com/dbt/run-results/v6.json"
        results = [{"unique_id": "model.analytics.customers", "status": "success"}]
        return httpx.Response(
            200, json={"metadata": {"dbt_schema_version": schema}, "results": results}
        )
    return httpx.Response(404, json=_envelope(None, 404, "Resource not found."))


def test_cloud_missing_manifest_message(tmp_path: Path) -> None:
    runtime = DBTCloudPlugin(
        "12345",
        SecretStr("dbtc_revoked"),
        job_ids=JOB_IDS,
        cache_dir=tmp_path / "cache",
        transport=httpx.MockTransport(_run_without_manifest),
        sleep=lambda seconds: None,
    )
    with pytest.raises(DBTArtifactNotFoundError) as caught:
        runtime.run_models(tmp_path, tmp_path, "prod")
    assert str(caught.value) == documented("cloud-missing-manifest")
    assert not (tmp_path / "target" / "run_results.json").exists()


def test_report_option_file_message(pytester: pytest.Pytester) -> None:
    (pytester.path / "report.txt").write_text("not a directory")
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", "--floe-dbt-report=report.txt"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [text for text in result.stderr.lines if text.startswith("ERROR: ")]
    assert line.replace(str(pytester.path), "/home/ana/acme") == documented("report-option-file")
