"""Public dbt projects nobody here wrote, through every path, against plain dbt-core.

For each project of ``projects.toml`` the oracle is plain ``dbt seed && dbt
build`` (``dbtRunner`` on its own copy). Each path must then agree with it:

* node for node: the same ``unique_id -> status`` for the seed step and the
  build (Dagster: its one full materialisation against the build);
* relation for relation: the same relations, kinds, row counts and row
  digests in the warehouse (the kit's :func:`read_location`);
* Dagster: as many check evaluations as tests the build ran, the same ones;
  and its only external assets are the tables sources read that no node
  builds (a source a seed feeds is that seed's asset), checked by
  ``public_paths`` against the manifest.

The archives come from the package registry at test time (see
``public_archives.py``); nothing of the projects is kept in this repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from public_archives import PublicProject, load_manifest, unpacked
from public_paths import Outcome, run_path

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

PROJECTS = {project.id: project for project in load_manifest()}
_oracles: dict[str, Outcome] = {}


@pytest.fixture(params=sorted(PROJECTS))
def project(request: pytest.FixtureRequest) -> PublicProject:
    return PROJECTS[request.param]


@pytest.fixture
def tree(project: PublicProject) -> Path:
    return unpacked(project)


@pytest.fixture
def oracle(project: PublicProject, tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """Plain ``dbt seed && dbt build``, once per project and session."""
    if project.id not in _oracles:
        _oracles[project.id] = run_path("plain", project, tree, tmp_path_factory.mktemp("plain"))
    return _oracles[project.id]


def test_the_oracle_ran_the_project(oracle: Outcome) -> None:
    # Not vacuous: every project seeds, builds models and runs tests.
    assert oracle.nodes["seed"]
    assert any(uid.startswith("model.") for uid in oracle.nodes["build"])
    assert oracle.tests
    assert oracle.relations


@pytest.mark.parametrize("path", ["local", "cloud"])
def test_a_runtime_seeds_and_builds_as_plain_dbt_does(
    path: str, project: PublicProject, tree: Path, oracle: Outcome, tmp_path: Path
) -> None:
    outcome = run_path(path, project, tree, tmp_path)

    assert outcome.nodes == oracle.nodes
    assert outcome.relations == oracle.relations


def test_a_full_dagster_materialisation_builds_as_plain_dbt_does(
    project: PublicProject, tree: Path, oracle: Outcome, tmp_path: Path
) -> None:
    outcome = run_path("dagster", project, tree, tmp_path)

    assert outcome.nodes["build"] == oracle.nodes["build"]
    assert len(outcome.tests) == len(oracle.tests)
    assert outcome.tests == oracle.tests
    assert outcome.relations == oracle.relations
