"""Environment metadata from the dbt Cloud Discovery API (GraphQL).

The Discovery schema has no ``manifest`` field (the query printed in REQ-088
would be rejected), so the manifest comes from the Admin API and this module
reads what Discovery is for: the applied state of an environment, its models
and their last run, paged with ``first``/``after``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from floe_core.errors import DBTConfigurationError, DBTRemoteError
from floe_dbt_cloud.answers import parse_model, shape_problems
from floe_dbt_cloud.auth import TokenAuth
from floe_dbt_cloud.client import DEFAULT_TIMEOUT
from floe_dbt_cloud.http_limits import checked_timeout

__all__ = ["ENVIRONMENT_QUERY", "DiscoveryClient", "default_discovery_url"]

PAGE_SIZE = 500  # the Discovery API's maximum for `first`

ENVIRONMENT_QUERY = """
query Environment($environmentId: BigInt!, $first: Int!, $after: String) {
  environment(id: $environmentId) {
    dbtProjectName
    adapterType
    applied {
      lastUpdatedAt
      latestGitSha
      models(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            uniqueId
            name
            materializedType
            executionInfo { lastRunStatus lastRunError lastRunId executeCompletedAt }
          }
        }
      }
    }
  }
}
"""


def default_discovery_url(base_url: str) -> str | None:
    """Derive the Discovery endpoint from the Admin API access URL, where dbt documents it.

    Examples:
        >>> default_discovery_url("https://cloud.getdbt.com/api/v2")
        'https://metadata.cloud.getdbt.com/graphql'
        >>> default_discovery_url("https://ab123.us1.dbt.com/api/v2")
        'https://ab123.metadata.us1.dbt.com/graphql'
        >>> default_discovery_url("http://127.0.0.1:8000/api/v2") is None
        True
    """
    host = urlsplit(base_url).hostname or ""
    if host == "cloud.getdbt.com":
        return "https://metadata.cloud.getdbt.com/graphql"
    if host in {"emea.dbt.com", "au.dbt.com"}:
        return f"https://metadata.{host}/graphql"
    parts = host.split(".")
    if len(parts) == 4 and parts[2:] == ["dbt", "com"]:
        prefix, region = parts[0], parts[1]
        return f"https://{prefix}.metadata.{region}.dbt.com/graphql"
    return None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _ExecutionInfo(_Answer):
    lastRunStatus: str | None = None
    lastRunError: str | None = None
    lastRunId: int | None = None
    executeCompletedAt: str | None = None


class _Model(_Answer):
    uniqueId: str = Field(min_length=1)
    name: str | None = None
    materializedType: str | None = None
    executionInfo: _ExecutionInfo | None = None


class _Edge(_Answer):
    node: _Model


class _PageInfo(_Answer):
    hasNextPage: bool
    endCursor: str | None = None


class _Models(_Answer):
    edges: list[_Edge]
    pageInfo: _PageInfo


class _Applied(_Answer):
    lastUpdatedAt: str | None = None
    latestGitSha: str | None = None
    models: _Models


class _Environment(_Answer):
    dbtProjectName: str | None = None
    adapterType: str | None = None
    applied: _Applied


class _EnvironmentData(_Answer):
    # Required and typed: an answer of another shape is an error, never "no models".
    environment: _Environment | None


class _GraphQLError(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: str


class _GraphQLAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    data: dict[str, Any] | None = None
    errors: list[_GraphQLError] = Field(default_factory=list)


class DiscoveryClient:
    """POSTs GraphQL queries to the Discovery API.

    Args:
        url: The GraphQL endpoint, e.g. ``https://metadata.cloud.getdbt.com/graphql``.
        token: The API token (sent as ``Bearer``).
        transport: An httpx transport, for tests.
        timeout: Request timeouts.
    """

    def __init__(
        self,
        url: str,
        token: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        checked_timeout(timeout, field="timeout")
        self._http = httpx.Client(
            auth=TokenAuth(token, "Bearer"),
            headers={"User-Agent": "floe-dbt"},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"DiscoveryClient(url={self.url!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one GraphQL query.

        Args:
            query: The GraphQL document.
            variables: Its variables.

        Returns:
            The ``data`` of the answer.

        Raises:
            DBTRemoteError: The request failed or GraphQL reported errors.
        """
        what = f"POST {self.url}"
        try:
            response = self._http.post(self.url, json={"query": query, "variables": variables})
        except httpx.TransportError as exc:
            raise DBTRemoteError(
                f"the dbt Cloud Discovery API at {self.url} could not be reached "
                f"({type(exc).__name__})"
            ) from exc
        if response.status_code in (401, 403):
            raise DBTConfigurationError(
                f"the Discovery API refused the token (HTTP {response.status_code}); it needs "
                "a service token with metadata access, and discovery_url must match the "
                "account's region"
            )
        if not response.is_success and response.status_code != 400:
            raise DBTRemoteError(
                f"the Discovery API failed {what}", status_code=response.status_code
            )
        answer = parse_model(_GraphQLAnswer, response, what=what)
        if answer.errors or answer.data is None:
            messages = "; ".join(error.message for error in answer.errors) or "no data"
            raise DBTRemoteError(
                f"the Discovery API rejected the query: {messages}",
                status_code=response.status_code,
            )
        return answer.data

    def environment_metadata(self, environment_id: int) -> dict[str, Any]:
        """Read an environment's applied state, following every page of models.

        Args:
            environment_id: The dbt Cloud environment.

        Returns:
            ``{"environment_id", "dbt_project_name", "adapter_type",
            "last_updated_at", "latest_git_sha", "models": [...]}`` where each
            model has ``unique_id``, ``name``, ``materialized_type`` and its
            last run's ``last_run_status``, ``last_run_error``, ``last_run_id``
            and ``execute_completed_at``.

        Raises:
            DBTRemoteError: The request failed, GraphQL reported errors, the
                environment is unknown, or an answer does not have the shape
                of the query (an answer of another shape is never read as
                "no models").
        """
        models: list[dict[str, Any]] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            environment = self._environment_page(environment_id, after)
            applied = environment.applied
            for edge in applied.models.edges:
                node, info = edge.node, edge.node.executionInfo or _ExecutionInfo()
                models.append(
                    {
                        "unique_id": node.uniqueId,
                        "name": node.name,
                        "materialized_type": node.materializedType,
                        "last_run_status": info.lastRunStatus,
                        "last_run_error": info.lastRunError,
                        "last_run_id": info.lastRunId,
                        "execute_completed_at": info.executeCompletedAt,
                    }
                )
            page = applied.models.pageInfo
            if not page.hasNextPage or not page.endCursor:
                break
            if page.endCursor in seen:
                raise DBTRemoteError(
                    f"the Discovery API answered the models of environment {environment_id} "
                    "with a page cursor it had already given; stopped instead of looping"
                )
            seen.add(page.endCursor)
            after = page.endCursor
        result = {
            "environment_id": environment_id,
            "dbt_project_name": environment.dbtProjectName,
            "adapter_type": environment.adapterType,
            "last_updated_at": applied.lastUpdatedAt,
            "latest_git_sha": applied.latestGitSha,
            "models": models,
        }
        # Round-trip: the contract promises JSON-serialisable metadata.
        return dict(json.loads(json.dumps(result)))

    def _environment_page(self, environment_id: int, after: str | None) -> _Environment:
        data = self.query(
            ENVIRONMENT_QUERY, {"environmentId": environment_id, "first": PAGE_SIZE, "after": after}
        )
        try:
            environment = _EnvironmentData.model_validate(data).environment
        except ValidationError as exc:
            raise DBTRemoteError(
                f"the Discovery API's answer about environment {environment_id} does not have "
                f"the expected shape ({shape_problems(exc)})"
            ) from None
        if environment is None:
            raise DBTRemoteError(
                f"the Discovery API knows no environment {environment_id}; check "
                "dbt_runtime_config.cloud.environment_id"
            )
        return environment
