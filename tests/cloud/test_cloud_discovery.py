"""The Discovery GraphQL subset: a real schema (so invalid queries fail) and paging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cloud_helpers import TOKEN, StubExecutor
from floe_dbt_compliance.projects import ProjectCopy
from pydantic import SecretStr
from pytest_httpx import HTTPXMock

from floe_core.errors import DBTConfigurationError, DBTRemoteError
from floe_dbt_cloud.discovery import DiscoveryClient, default_discovery_url
from floe_dbt_cloud_emulator import IN_PROCESS_DISCOVERY_URL, DbtCloudEmulator, EmulatedProject
from floe_dbt_cloud_emulator.discovery import EnvironmentState, execute_discovery_query

REQ_088_QUERY = """
query GetManifest($environmentId: BigInt!) {
  environment(id: $environmentId) { applied { manifest } }
}
"""


def _state(models: int) -> EnvironmentState:
    state = EnvironmentState(5, "proj", "duckdb")
    nodes = {
        f"model.proj.m{i:03}": {
            "unique_id": f"model.proj.m{i:03}",
            "resource_type": "model",
            "name": f"m{i:03}",
            "config": {"materialized": "view"},
            "original_file_path": f"models/m{i:03}.sql",
        }
        for i in range(models)
    }
    results = [{"unique_id": uid, "status": "success", "execution_time": 0.1} for uid in nodes]
    state.apply(
        run_id=9,
        finished_at="2026-01-01T00:00:00Z",
        manifest={"nodes": nodes},
        run_results={"results": results},
    )
    return state


def test_the_req_088_manifest_query_is_rejected_as_by_the_real_schema() -> None:
    body = execute_discovery_query({5: _state(1)}, REQ_088_QUERY, {"environmentId": 5})
    assert body["data"] is None
    assert "Cannot query field 'manifest' on type 'AppliedState'" in body["errors"][0]["message"]


def test_models_page_with_first_and_after() -> None:
    environments = {5: _state(7)}
    query = """query($id: BigInt!, $after: String) { environment(id: $id) { applied {
        models(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor }
          edges { node { uniqueId executionInfo { lastRunStatus lastRunId } } } } } } }"""
    seen, after = [], None
    while True:
        page = execute_discovery_query(environments, query, {"id": 5, "after": after})
        models = page["data"]["environment"]["applied"]["models"]
        assert models["totalCount"] == 7
        seen += [edge["node"]["uniqueId"] for edge in models["edges"]]
        assert all(
            edge["node"]["executionInfo"] == {"lastRunStatus": "success", "lastRunId": 9}
            for edge in models["edges"]
        )
        if not models["pageInfo"]["hasNextPage"]:
            break
        after = models["pageInfo"]["endCursor"]
    assert seen == [f"model.proj.m{i:03}" for i in range(7)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ environment(id: 5) { applied { models(first: 501) { totalCount } } } }",
            "'first' must be between 0 and 500",
        ),
        (
            '{ environment(id: 5) { applied { models(after: "bad") { totalCount } } } }',
            "invalid cursor",
        ),
        ("{ environment(id: 6) { dbtProjectName } }", "Environment 6 not found"),
        ("{ environment { dbtProjectName } }", "of type 'BigInt!' is required"),
    ],
)
def test_bad_queries_are_graphql_errors(query: str, message: str) -> None:
    body = execute_discovery_query({5: _state(1)}, query, None)
    assert message in body["errors"][0]["message"]


@pytest.fixture
def served_stub(stub_project: ProjectCopy) -> Iterator[tuple[DbtCloudEmulator, EmulatedProject]]:
    with DbtCloudEmulator(token=TOKEN, executor=StubExecutor()) as emulator:
        yield emulator, emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)


def test_the_client_reads_environment_metadata_through_the_emulator(
    served_stub: tuple[DbtCloudEmulator, EmulatedProject],
) -> None:
    emulator, project = served_stub
    with httpx.Client(
        transport=emulator.transport(), headers={"Authorization": f"Token {TOKEN}"}
    ) as api:
        api.post(
            f"http://x/api/v2/accounts/1/jobs/{project.job_ids['run']}/run/", json={"cause": "c"}
        )
    emulator.wait_for_runs()
    client = DiscoveryClient(
        IN_PROCESS_DISCOVERY_URL, SecretStr(TOKEN), transport=emulator.transport()
    )
    metadata = client.environment_metadata(project.environment_id)
    assert metadata["dbt_project_name"] == "healthy"
    assert metadata["adapter_type"] == "duckdb"
    assert [m["unique_id"] for m in metadata["models"]] == ["model.stub.run"]
    assert metadata["models"][0]["last_run_status"] == "success"
    json.dumps(metadata)
    assert emulator.counters.requests_by_route["discovery"] == 1


def test_the_client_reports_graphql_errors_and_refused_tokens(
    served_stub: tuple[DbtCloudEmulator, EmulatedProject],
) -> None:
    emulator, _ = served_stub
    client = DiscoveryClient(
        IN_PROCESS_DISCOVERY_URL, SecretStr(TOKEN), transport=emulator.transport()
    )
    with pytest.raises(DBTRemoteError, match="Cannot query field 'manifest'"):
        client.query(REQ_088_QUERY, {"environmentId": 201})
    wrong = DiscoveryClient(
        IN_PROCESS_DISCOVERY_URL, SecretStr("nope"), transport=emulator.transport()
    )
    with pytest.raises(DBTConfigurationError, match="HTTP 401") as raised:
        wrong.environment_metadata(201)
    assert "nope" not in str(raised.value)


def test_the_client_sends_a_bearer_token_and_variables(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url="https://metadata.cloud.getdbt.com/graphql",
        json={
            "data": {
                "environment": {
                    "dbtProjectName": "p",
                    "adapterType": "snowflake",
                    "applied": {
                        "lastUpdatedAt": None,
                        "latestGitSha": "abc",
                        "models": {
                            "edges": [],
                            "pageInfo": {"hasNextPage": False, "endCursor": None},
                        },
                    },
                }
            }
        },
    )
    client = DiscoveryClient(
        default_discovery_url("https://cloud.getdbt.com/api/v2") or "", SecretStr(TOKEN)
    )
    assert client.environment_metadata(3)["latest_git_sha"] == "abc"
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content)["variables"] == {
        "environmentId": 3,
        "first": 500,
        "after": None,
    }


def test_discovery_urls_follow_the_access_url() -> None:
    assert (
        default_discovery_url("https://emea.dbt.com/api/v2")
        == "https://metadata.emea.dbt.com/graphql"
    )
    assert (
        default_discovery_url("https://au.dbt.com/api/v2") == "https://metadata.au.dbt.com/graphql"
    )
    assert default_discovery_url("https://example.com/api/v2") is None


def test_the_plugin_needs_a_discovery_url_and_an_environment(tmp_path: Path) -> None:
    from floe_dbt_cloud import DBTCloudPlugin

    plugin = DBTCloudPlugin(
        "1",
        SecretStr(TOKEN),
        "http://127.0.0.1:1/api/v2",
        {"compile": 1, "run": 2, "test": 3},
        cache_dir=tmp_path,
    )
    with pytest.raises(DBTConfigurationError, match="discovery_url"):
        plugin.get_environment_metadata()
    plugin.discovery_url = "http://127.0.0.1:1/graphql"
    with pytest.raises(DBTConfigurationError, match="environment_id"):
        plugin.get_environment_metadata()


class CompileWritesResults(StubExecutor):
    """Like dbt, whose `dbt compile` writes a run_results.json too."""

    def __call__(self, command, project_dir, profiles_dir, target):  # type: ignore[no-untyped-def]
        outcome = super().__call__(command, project_dir, profiles_dir, target)
        if command.command == "compile":
            (project_dir / "target" / "run_results.json").write_text(
                json.dumps({"results": [{"unique_id": "model.stub.compile", "status": "success"}]})
            )
        return outcome


def test_a_compile_defines_models_but_applies_no_execution(stub_project: ProjectCopy) -> None:
    with DbtCloudEmulator(token=TOKEN, executor=CompileWritesResults()) as emulator:
        project = emulator.add_project(stub_project.project_dir, stub_project.profiles_dir)
        with httpx.Client(
            transport=emulator.transport(), headers={"Authorization": f"Token {TOKEN}"}
        ) as api:
            api.post(
                f"http://x/api/v2/accounts/1/jobs/{project.job_ids['compile']}/run/",
                json={"cause": "c"},
            )
        emulator.wait_for_runs()
        query = """query($id: BigInt!) { environment(id: $id) {
            applied { models { totalCount } }
            definition { models { edges { node { uniqueId } } } } } }"""
        body = execute_discovery_query(emulator.environments, query, {"id": project.environment_id})
        environment = body["data"]["environment"]
        assert environment["applied"]["models"]["totalCount"] == 0
        assert [e["node"]["uniqueId"] for e in environment["definition"]["models"]["edges"]] == [
            "model.stub.compile"
        ]
