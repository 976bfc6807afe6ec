"""The emulator holds requests and answers to dbt Cloud's published API document, on its own.

It is independent of the client it certifies: neither imports the other, so a
misreading of the API in one shows in the other. What the document refuses is
answered 400 with dbt Cloud's envelope and logged; an answer of the emulator's
that breaks the document is its own bug, answered 500 and recorded, never
passed on as dbt Cloud's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import grimp
import httpx
import pytest
import yaml

from floe_dbt_cloud_emulator import DbtCloudEmulator, EmulatedProject
from floe_dbt_cloud_emulator.openapi import DOCUMENT
from floe_dbt_cloud_emulator.runs import RunRecord

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "reference/dbt-cloud-openapi-v2.yaml"
# The shared reference sits beside the repository (a worktree two levels down, or CI's clone).
SHARED = [parent / "shared" / SOURCE for parent in ROOT.parents[:3]]
COPY = ROOT / "src" / "floe_dbt_cloud_emulator" / DOCUMENT


def test_neither_the_client_nor_the_emulator_imports_the_other() -> None:
    graph = grimp.build_graph("floe_dbt_cloud", "floe_dbt_cloud_emulator", "floe_dbt_compliance")
    emulator = {m for m in graph.modules if m.split(".")[0] == "floe_dbt_cloud_emulator"}
    client = {m for m in graph.modules if m.split(".")[0] == "floe_dbt_cloud"}
    assert {"floe_dbt_cloud_emulator.app", "floe_dbt_cloud.client"} <= emulator | client
    # The harness builds the runtime under test: it alone may name it.
    harness = {"floe_dbt_cloud_emulator.kit_harness", "floe_dbt_cloud_emulator.live_settings"}
    into_client = {
        (module, imported)
        for module in emulator - harness
        for imported in graph.find_modules_directly_imported_by(module)
        if imported in client
    }
    assert into_client == set()
    into_emulator_or_kit = {
        (module, imported)
        for module in client
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in ("floe_dbt_cloud_emulator", "floe_dbt_compliance")
    }
    assert into_emulator_or_kit == set()


def test_the_copied_document_is_the_published_one_where_it_is_present() -> None:
    source = next((path for path in SHARED if path.is_file()), None)
    if source is None:
        pytest.skip(f"the shared {SOURCE} is not beside this checkout")
    published = yaml.safe_load(source.read_text(encoding="utf-8"))
    copied = yaml.safe_load(COPY.read_text(encoding="utf-8"))
    assert COPY.read_text(encoding="utf-8").startswith("# The parts of dbt Cloud's published")
    assert copied["openapi"] == published["openapi"]
    assert copied["info"] == {key: published["info"][key] for key in ("title", "version")}
    for path, operations in copied["paths"].items():
        for method, operation in operations.items():
            original = dict(published["paths"][path][method])
            original.pop("security")  # the one edit the header names
            assert operation == original, (path, method)
    for name, schema in copied["components"]["schemas"].items():
        assert schema == published["components"]["schemas"][name], name
    assert len(copied["paths"]) == 7


@pytest.mark.parametrize(
    ("method", "path", "options", "field"),
    [
        ("post", "jobs/{job}/run/", {"json": {"cause": "c", "git_sha": ""}}, "git_sha"),
        (
            "post",
            "jobs/{job}/run/",
            {"json": {"cause": "c", "generate_docs_override": "y"}},
            "generate_docs_override",
        ),
        ("post", "jobs/{job}/run/", {"json": ["cause"]}, "non_field_errors"),
        ("post", "jobs/{job}/run/", {}, "non_field_errors"),
        ("get", "runs/", {"params": {"job_definition_id": "one"}}, "job_definition_id"),
        ("get", "runs/", {"params": {"has_docs_generated": "maybe"}}, "has_docs_generated"),
        ("get", "runs/1/artifacts/manifest.json", {"params": {"step": "last"}}, "step"),
    ],
)
def test_a_request_the_document_refuses_is_a_400_naming_the_field_and_is_logged(
    stub_emulator: DbtCloudEmulator,
    stub_served: EmulatedProject,
    stub_api: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    options: dict[str, Any],
    field: str,
) -> None:
    caplog.set_level(logging.WARNING, "floe_dbt_cloud_emulator")
    response = stub_api.request(method, path.format(job=stub_served.job_ids["run"]), **options)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"]["code"] == 400
    assert body["status"]["is_success"] is False
    assert body["status"]["user_message"].startswith("The request was invalid.")
    assert list(body["data"]) == [field]
    (logged,) = stub_emulator.requests.entries()
    assert (logged.status, list(logged.refused)) == (400, [field])
    assert "the API document does not allow it" in caplog.text
    assert stub_emulator.counters.runs_triggered == 0


def test_an_accepted_request_is_logged_with_its_answer(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    _trigger(stub_api, stub_served).raise_for_status()
    stub_api.get("runs/", params={"limit": 1}).raise_for_status()
    logged = stub_emulator.requests.entries()
    assert [(e.route, e.method, e.status, e.fault, dict(e.refused)) for e in logged] == [
        ("trigger_run", "POST", 200, None, {}),
        ("list_runs", "GET", 200, None, {}),
    ]
    assert logged[1].query == "limit=1"
    assert logged[0].received <= logged[1].received


def test_an_unauthenticated_request_is_a_401_before_the_document_is_asked(
    stub_emulator: DbtCloudEmulator, stub_served: EmulatedProject, stub_api: httpx.Client
) -> None:
    response = stub_api.post(
        f"jobs/{stub_served.job_ids['run']}/run/", json={}, headers={"Authorization": "Token no"}
    )
    assert response.status_code == 401
    assert response.json()["data"] is None
    (logged,) = stub_emulator.requests.entries()
    assert (logged.status, dict(logged.refused)) == (401, {})


def test_an_answer_that_breaks_the_document_is_the_emulators_bug_and_says_so(
    stub_emulator: DbtCloudEmulator,
    stub_served: EmulatedProject,
    stub_api: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_id = _trigger(stub_api, stub_served).json()["data"]["id"]
    stub_emulator.wait_for_runs()
    to_api = RunRecord.to_api

    def broken(self: RunRecord, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {**to_api(self, *args, **kwargs), "status": "Success"}  # the document: integer

    monkeypatch.setattr(RunRecord, "to_api", broken)
    response = stub_api.get(f"runs/{run_id}/")
    assert response.status_code == 500
    assert "does not match dbt Cloud's API document" in response.json()["status"]["user_message"]
    (violation,) = stub_emulator.api_violations
    assert f"GET /api/v2/accounts/7/runs/{run_id}/" in violation
    assert "data.status: 'Success' is not of type 'integer'" in violation
    stub_emulator.api_violations.clear()  # seen: the fixture asserts none is left


def _trigger(api: httpx.Client, served: EmulatedProject) -> httpx.Response:
    return api.post(f"jobs/{served.job_ids['run']}/run/", json={"cause": "c"})
