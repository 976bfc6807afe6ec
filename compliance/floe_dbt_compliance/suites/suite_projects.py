"""Several-projects suite: one instance, and one cache directory, serving several projects.

A fresh harness per scenario, as the other suites build, never shows what
an instance keeps between projects: a parse, a profile, "the latest"
artifacts, cache entries. Here one instance serves three fresh copies in
turn (:mod:`floe_dbt_compliance.several_projects`): every call must end as
plain dbt-core ends it on that project alone, every project's
``get_manifest()`` and ``get_run_results()`` must answer its own latest
call whatever ran on the others since, and, with an artifact cache, every
project's entries must survive the others' (a second ``get_manifest()`` is
a hit with its own manifest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from floe_dbt_compliance.checks import fail_all
from floe_dbt_compliance.fixtures import HarnessFactory
from floe_dbt_compliance.observe import Observation, compare, manifest_ids, summarise
from floe_dbt_compliance.oracle.reference import Oracle
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.scenarios import Scenario
from floe_dbt_compliance.several_projects import ORDER, Answer, SharedInstance
from floe_dbt_compliance.spans import SpanRecorder

_SHOWN = 3


@pytest.fixture(scope="module")
def shared_sequence(
    floe_dbt_module_harness: HarnessFactory,
    floe_dbt_oracle: Oracle,
    floe_dbt_spans: SpanRecorder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], SharedInstance]]:
    """The module's sequence, performed on first use (one per module and runtime)."""
    name = floe_dbt_module_harness.name
    made: list[SharedInstance] = []

    def sequence() -> SharedInstance:
        if not made:
            made.append(
                SharedInstance(
                    floe_dbt_module_harness,
                    floe_dbt_oracle,
                    floe_dbt_spans,
                    lambda scenario: tmp_path_factory.mktemp(f"{name}-{scenario}"),
                    floe_dbt_oracle.warehouse,
                )
            )
            made[0].perform()
        return made[0]

    yield sequence
    for shared in made:
        shared.close()


@pytest.fixture
def shared(shared_sequence: Callable[[], SharedInstance]) -> SharedInstance:
    """The sequence: function-scoped, so that the row's gate runs before anything is built."""
    return shared_sequence()


def _usable(shared: SharedInstance) -> set[str]:
    usable = {project.name for project in shared.usable()}
    if not usable:
        pytest.fail(
            "every project had a call that raised on the shared instance (projects.agree "
            "names them): nothing to ask about its latest artifacts",
            pytrace=False,
        )
    return usable


def _nodes(ids: list[str] | None, limit: int = _SHOWN) -> str:
    shown = ", ".join((ids or [])[:limit])
    return shown + (" ..." if len(ids or []) > limit else "") if ids else "none"


def _manifest_problem(answer: Answer, expected: list[str] | None) -> str | None:
    who = f"get_manifest() of {answer.project.name} after {answer.after}"
    if isinstance(answer.manifest, str):
        return f"{who} {answer.manifest}"
    if answer.manifest == expected:
        return None
    lacks = sorted(set(expected or ()) - set(answer.manifest or ()))
    alien = sorted(set(answer.manifest or ()) - set(expected or ()))
    return f"{who} is not its manifest: it lacks {_nodes(lacks)}; it holds {_nodes(alien)}"


def _run_results_problem(shared: SharedInstance, answer: Answer) -> str | None:
    run = shared.run(answer.project)
    plan = run.scenario.steps[run.scenario.index(answer.latest)]
    if plan.command == "compile":
        return None  # compiling runs nothing: what it leaves is not compared
    who = f"get_run_results() of {answer.project.name} after {answer.after}"
    if isinstance(answer.nodes, str):
        return f"{who} {answer.nodes}"
    expected = Observation(nodes=run.expected(answer.latest).nodes)
    differences = compare(expected, Observation(nodes=answer.nodes), ("nodes",))
    if not differences:
        return None
    return f"{who} is not its latest call's ({plan.label}): {summarise(differences, _SHOWN)}"


@requirement("projects.agree")
def test_every_project_agrees_with_the_reference(shared: SharedInstance) -> None:
    found = shared.disagreement()
    if found is not None:
        raise found


@requirement("projects.latest")
def test_every_project_answers_its_own_latest_artifacts(shared: SharedInstance) -> None:
    usable = _usable(shared)
    problems = []
    for answer in shared.answers:
        if answer.project.name not in usable:
            continue
        expected = shared.run(answer.project).expected(answer.latest).manifest
        for problem in (_manifest_problem(answer, expected), _run_results_problem(shared, answer)):
            if problem is not None:
                problems.append(problem)
    fail_all(problems)


def _last_key(project: Scenario) -> str:
    return [key for scenario, key in ORDER if scenario is project][-1]


@requirement("projects.cache-hit")
def test_every_projects_cache_entries_survive_the_others(shared: SharedInstance) -> None:
    _usable(shared)
    problems = []
    for project in shared.usable():
        call = shared.hits[project.name]
        expected = shared.run(project).expected(_last_key(project)).manifest
        if call.error is not None:
            problems.append(f"{call.label} raised {type(call.error).__name__}: {call.error}")
        elif call.remote_calls is None:
            shared.run(project).harness.calls()  # fails the check, saying what to give
        elif call.remote_calls:
            problems.append(
                f"{call.label} made {call.remote_calls} remote call(s) right after the same "
                "call: its entries did not survive the other projects' (one cache directory "
                "serves them all)"
            )
        elif manifest_ids(call.value) != expected:
            problems.append(f"{call.label} hit, with another project's manifest")
    fail_all(problems)
