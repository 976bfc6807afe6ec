"""User projects suite (``--floe-dbt-project``): the runtime on the user's own dbt projects.

For each project given, plain dbt-core compiles a copy first and the kit
reads its graph (memoised with the reference's outcomes); the scenario
derived from it (:func:`floe_dbt_compliance.user_projects.derive_scenario`)
runs on the runtime and, on another copy, on the reference. ``project.agrees``
holds the runtime to the reference on the contract's calls, node by node
(statuses, counts, the manifest, the relations' rows); ``project.lifecycle``
on seed, snapshot, build and vars, for runtimes that have the capability.
Without ``--floe-dbt-project`` both rows are n/a.
"""

from __future__ import annotations

from typing import Any

import pytest

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.oracle.reference import Expected, Oracle
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.projects import ProjectCopy, target_path
from floe_dbt_compliance.recorder import read_json
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns, agree
from floe_dbt_compliance.scenarios import Scenario, step
from floe_dbt_compliance.status import KitSkip, Status
from floe_dbt_compliance.user_projects import Graph, UserProject, derive_scenario, read_graph


def _graph(oracle: Oracle, project: UserProject) -> Graph:
    """The project's graph, from plain dbt-core's compile of a copy (once per project)."""
    compiling = Scenario(
        f"{project.key}-graph", project.source, (step("compile", "compile_project"),), user=True
    )

    def read(copy: ProjectCopy, found: Expected) -> dict[str, Any]:
        observed = found[0]
        if observed is None or observed.raised is not None:
            said = "" if observed is None else f": {observed.raised} ({observed.message})"
            return {"error": f"plain dbt-core cannot compile {project.describe()}{said}"}
        manifest = read_json(target_path(copy.project_dir) / "manifest.json")
        return read_graph(manifest, project, copy.schema).as_json()

    document = oracle.remembered("graph", compiling, read)
    if "error" in document:
        raise KitSkip(Status.SKIPPED, document["error"])
    graph = Graph.from_json(document)
    if graph.foreign:
        raise KitSkip(
            Status.SKIPPED,
            f"{project.describe()} writes to schemas outside its target schema "
            f"({', '.join(graph.foreign)}): on PostgreSQL the kit cannot keep the runtime's "
            "copy apart from the reference's there; certify it on DuckDB, or derive those "
            "schemas from target.schema",
        )
    return graph


@pytest.fixture
def user_run(
    floe_dbt_user_project: UserProject,
    floe_dbt_scenarios: ScenarioRuns,
    floe_dbt_oracle: Oracle,
    floe_dbt_profile: RuntimeProfile,
) -> ScenarioRun:
    """The project's scenario on the runtime (memoised per module, runtime and project)."""
    graph = _graph(floe_dbt_oracle, floe_dbt_user_project)
    lifecycle = Capability.LIFECYCLE in floe_dbt_profile.capabilities
    return floe_dbt_scenarios(derive_scenario(floe_dbt_user_project, graph, lifecycle=lifecycle))


def _keys(run: ScenarioRun, *, lifecycle: bool) -> list[str]:
    return [
        candidate.key
        for candidate in run.scenario.steps
        if candidate.command is not None and candidate.lifecycle is lifecycle
    ]


@requirement("project.agrees")
def test_the_users_project_agrees(user_run: ScenarioRun) -> None:
    agree([(user_run, _keys(user_run, lifecycle=False))])


@requirement("project.lifecycle")
def test_the_users_project_lifecycle_agrees(user_run: ScenarioRun) -> None:
    agree([(user_run, _keys(user_run, lifecycle=True))])
