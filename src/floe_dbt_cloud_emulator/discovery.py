"""The Discovery API subset, served by graphql-core from an SDL schema.

Field names follow dbt Cloud's schema, so a query the real API rejects (for
instance REQ-088's ``applied { manifest }``) is rejected here too, with the
same kind of GraphQL validation error. The data is the environment's state
as the emulated runs left it: models and tests from the latest manifest, with
the execution info of their latest run.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

__all__ = ["MAX_PAGE_SIZE", "SCHEMA_SDL", "EnvironmentState", "execute_discovery_query"]

MAX_PAGE_SIZE = 500

SCHEMA_SDL = """
scalar BigInt
scalar DateTime

type Query {
  environment(id: BigInt!): Environment!
}

type Environment {
  dbtProjectName: String
  adapterType: String
  applied: AppliedState!
  definition: DefinitionState!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type AppliedState {
  lastUpdatedAt: DateTime
  latestGitSha: String
  models(first: Int, after: String): ModelAppliedStateNodeConnection!
  tests(first: Int, after: String): TestAppliedStateNodeConnection!
}

type DefinitionState {
  lastUpdatedAt: DateTime
  models(first: Int, after: String): ModelDefinitionNodeConnection!
}

type ModelExecutionInfoNode {
  lastRunStatus: String
  lastRunError: String
  lastRunId: BigInt
  executeCompletedAt: DateTime
  executionTime: Float
}

type TestExecutionInfoNode {
  lastRunStatus: String
  lastRunError: String
  lastRunId: BigInt
  executeCompletedAt: DateTime
}

type ModelAppliedStateNode {
  uniqueId: String!
  name: String
  description: String
  resourceType: String!
  materializedType: String
  database: String
  schema: String
  alias: String
  filePath: String
  tags: [String!]
  executionInfo: ModelExecutionInfoNode
}

type TestAppliedStateNode {
  uniqueId: String!
  name: String
  resourceType: String!
  executionInfo: TestExecutionInfoNode
}

type ModelDefinitionNode {
  uniqueId: String!
  name: String
  resourceType: String!
  materializedType: String
  filePath: String
}

type ModelAppliedStateNodeEdge { cursor: String! node: ModelAppliedStateNode! }
type TestAppliedStateNodeEdge { cursor: String! node: TestAppliedStateNode! }
type ModelDefinitionNodeEdge { cursor: String! node: ModelDefinitionNode! }

type ModelAppliedStateNodeConnection {
  edges: [ModelAppliedStateNodeEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type TestAppliedStateNodeConnection {
  edges: [TestAppliedStateNodeEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type ModelDefinitionNodeConnection {
  edges: [ModelDefinitionNodeEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}
"""

_SCHEMA: GraphQLSchema = build_schema(SCHEMA_SDL)


def _cursor(position: int) -> str:
    return base64.b64encode(f"cursor:{position}".encode()).decode()


def _position(cursor: str) -> int:
    try:
        prefix, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix != "cursor":
            raise ValueError(prefix)
        return int(number)
    except ValueError:
        raise GraphQLError(f"invalid cursor {cursor!r} for 'after'") from None


def _page(nodes: list[dict[str, Any]], first: int | None, after: str | None) -> dict[str, Any]:
    if first is not None and not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(f"'first' must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    start = _position(after) + 1 if after else 0
    stop = len(nodes) if first is None else min(start + first, len(nodes))
    edges = [{"cursor": _cursor(i), "node": nodes[i]} for i in range(start, stop)]
    return {
        "edges": edges,
        "totalCount": len(nodes),
        "pageInfo": {
            "hasNextPage": stop < len(nodes),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _connection(nodes: list[dict[str, Any]]) -> Any:
    # graphql-core's default resolver calls a callable field value with the field's arguments.
    def resolve(_info: Any, first: int | None = None, after: str | None = None) -> dict[str, Any]:
        return _page(nodes, first, after)

    return resolve


class EnvironmentState:
    """What Discovery knows about one environment, updated as runs save artifacts."""

    def __init__(self, environment_id: int, project_name: str, adapter_type: str) -> None:
        self.environment_id = environment_id
        self.project_name = project_name
        self.adapter_type = adapter_type
        self._lock = threading.Lock()
        self._definitions: dict[str, dict[str, Any]] = {}
        self._executions: dict[str, dict[str, Any]] = {}
        self._last_updated_at: str | None = None

    def apply(
        self,
        *,
        run_id: int,
        finished_at: str,
        manifest: Mapping[str, Any] | None,
        run_results: Mapping[str, Any] | None,
    ) -> None:
        """Fold a step's manifest and run results into the environment's state."""
        with self._lock:
            if manifest is not None:
                self._definitions = {
                    unique_id: dict(node)
                    for unique_id, node in (manifest.get("nodes") or {}).items()
                    if node.get("resource_type") in ("model", "test")
                }
            for result in (run_results or {}).get("results", []):
                self._executions[result["unique_id"]] = {
                    "lastRunStatus": result.get("status"),
                    "lastRunError": result.get("message")
                    if result.get("status") != "success" and result.get("status") != "pass"
                    else None,
                    "lastRunId": run_id,
                    "executeCompletedAt": finished_at,
                    "executionTime": result.get("execution_time"),
                }
            self._last_updated_at = finished_at

    def to_graphql(self) -> dict[str, Any]:
        """The ``Environment`` object the resolvers serve."""
        with self._lock:
            models = [n for n in self._definitions.values() if n.get("resource_type") == "model"]
            tests = [n for n in self._definitions.values() if n.get("resource_type") == "test"]
            applied_models = [
                self._model(node) for node in models if node["unique_id"] in self._executions
            ]
            applied_tests = [
                {
                    "uniqueId": node["unique_id"],
                    "name": node.get("name"),
                    "resourceType": "test",
                    "executionInfo": self._executions[node["unique_id"]],
                }
                for node in tests
                if node["unique_id"] in self._executions
            ]
            definitions = [
                {
                    "uniqueId": node["unique_id"],
                    "name": node.get("name"),
                    "resourceType": "model",
                    "materializedType": (node.get("config") or {}).get("materialized"),
                    "filePath": node.get("original_file_path"),
                }
                for node in models
            ]
            updated = self._last_updated_at
        return {
            "dbtProjectName": self.project_name,
            "adapterType": self.adapter_type,
            "applied": {
                "lastUpdatedAt": updated,
                "latestGitSha": None,
                "models": _connection(applied_models),
                "tests": _connection(applied_tests),
            },
            "definition": {"lastUpdatedAt": updated, "models": _connection(definitions)},
        }

    def _model(self, node: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "uniqueId": node["unique_id"],
            "name": node.get("name"),
            "description": node.get("description"),
            "resourceType": "model",
            "materializedType": (node.get("config") or {}).get("materialized"),
            "database": node.get("database"),
            "schema": node.get("schema"),
            "alias": node.get("alias"),
            "filePath": node.get("original_file_path"),
            "tags": list(node.get("tags") or []),
            "executionInfo": self._executions[node["unique_id"]],
        }


def execute_discovery_query(
    environments: Mapping[int, EnvironmentState], query: str, variables: dict[str, Any] | None
) -> dict[str, Any]:
    """Execute a GraphQL request against the environments; return the response body."""

    def environment(_info: Any, id: Any) -> dict[str, Any]:
        try:
            state = environments[int(id)]
        except (KeyError, TypeError, ValueError):
            raise GraphQLError(f"Environment {id} not found") from None
        return state.to_graphql()

    result = graphql_sync(
        _SCHEMA,
        query,
        root_value={"environment": environment},
        variable_values=variables,
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body
