"""The kit's fixtures, registered only under ``--floe-dbt-compliance``.

User tests collected in the same session may use them too: ask for
``floe_dbt_runtime`` to be run once per selected runtime, and for
``floe_dbt_harness`` to get that runtime on a fixture project.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from floe_dbt_compliance.building import build_harness
from floe_dbt_compliance.errors import KitNotActive, UnknownRow
from floe_dbt_compliance.harness import RuntimeHarness, close_harness
from floe_dbt_compliance.kit import ComplianceKit
from floe_dbt_compliance.oracle.reference import (
    DEFAULT_REFERENCE,
    DbtCoreReference,
    Oracle,
    Reference,
    RuntimeReference,
)
from floe_dbt_compliance.oracle.store import ReferenceStore
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from floe_dbt_compliance.requirements import Requirement, not_applicable_reason, row_of
from floe_dbt_compliance.runs import ScenarioRuns
from floe_dbt_compliance.spans import SpanRecorder, span_recorder
from floe_dbt_compliance.status import not_applicable, not_implemented
from floe_dbt_compliance.user_projects import UserProject
from floe_dbt_compliance.warehouse import Warehouse

__all__ = [
    "HarnessFactory",
    "floe_dbt_harness",
    "floe_dbt_kit",
    "floe_dbt_oracle",
    "floe_dbt_profile",
    "floe_dbt_row",
    "floe_dbt_runtime",
    "floe_dbt_scenarios",
    "floe_dbt_spans",
    "floe_dbt_user_project",
]


class HarnessFactory:
    """Builds harnesses for one runtime, each on a fresh project copy, and closes them all."""

    def __init__(
        self,
        config: pytest.Config,
        name: str,
        tmp_path_factory: pytest.TempPathFactory,
        warehouse: Warehouse | None = None,
    ) -> None:
        self._config = config
        self.name = name
        self._tmp_path_factory = tmp_path_factory
        self.warehouse = warehouse or Warehouse.duckdb()
        self._built: list[RuntimeHarness] = []
        self._copies: list[ProjectCopy] = []

    def __call__(self, project: ProjectCopy | str) -> RuntimeHarness:
        """Return the runtime on ``project`` (a copy, or a fixture project's name, copied here)."""
        if isinstance(project, str):
            directory = self._tmp_path_factory.mktemp(f"{self.name}-{project}")
            project = copy_project(project, directory, self.warehouse)
            self._copies.append(project)
        harness = build_harness(self._config, self.name, project, self._tmp_path_factory)
        self._built.append(harness)
        return harness

    def close_all(self) -> None:
        """Close every harness built, newest first, and give back the copies made here."""
        while self._built:
            close_harness(self._built.pop())
        while self._copies:
            self.warehouse.release(self._copies.pop().schema)


@pytest.fixture(scope="session")
def floe_dbt_kit(pytestconfig: pytest.Config) -> ComplianceKit:
    """The kit's session state."""
    kit = pytestconfig.pluginmanager.get_plugin("floe_dbt_compliance.kit")
    if kit is None:
        raise KitNotActive("the floe-dbt kit is not active; run pytest with --floe-dbt-compliance")
    return cast(ComplianceKit, kit)


@pytest.fixture(scope="session")
def floe_dbt_spans() -> SpanRecorder:
    """The span recorder on the process's SDK tracer provider."""
    return span_recorder()


def _shared_root(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's base temp, the same for the controller and every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session")
def floe_dbt_oracle(
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    floe_dbt_spans: SpanRecorder,
    floe_dbt_kit: ComplianceKit,
) -> Iterator[Oracle]:
    """The reference's outcomes, memoised per scenario for the whole session (and workers)."""
    name: str = pytestconfig.getoption("floe_dbt_reference")
    workspace = tmp_path_factory.mktemp("reference")
    reference: Reference
    if name == DEFAULT_REFERENCE:
        reference = DbtCoreReference(workspace, floe_dbt_kit.warehouse)
    else:
        reference = RuntimeReference(
            name,
            lambda copy: build_harness(pytestconfig, name, copy, tmp_path_factory),
            floe_dbt_spans,
        )
    cache = pytestconfig.getoption("floe_dbt_reference_cache")
    store_root = (
        Path(cache).resolve()
        if cache
        else _shared_root(pytestconfig, tmp_path_factory) / "floe-dbt-reference"
    )
    oracle = Oracle(reference, ReferenceStore(store_root), workspace, floe_dbt_kit.warehouse)
    floe_dbt_kit.oracle["reference"] = reference.description
    yield oracle
    oracle.close()
    floe_dbt_kit.warehouse.close()  # the scratch schemas of this process (PostgreSQL)


@pytest.fixture(scope="module")
def floe_dbt_runtime(request: pytest.FixtureRequest) -> str:
    """The runtime under test (parametrized over ``--floe-dbt-runtime``)."""
    name: str = request.param
    return name


@pytest.fixture
def floe_dbt_user_project(request: pytest.FixtureRequest) -> UserProject | None:
    """A project given with ``--floe-dbt-project`` (parametrized; ``None`` when none was)."""
    project: UserProject | None = request.param
    return project


@pytest.fixture(scope="module")
def floe_dbt_profile(
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> RuntimeProfile:
    """What the kit learnt about the runtime; a runtime that implements nothing is skipped."""
    profile = floe_dbt_kit.profile(floe_dbt_runtime, tmp_path_factory)
    if profile.not_implemented is not None:
        not_implemented(profile.not_implemented)
    return profile


@pytest.fixture(autouse=True)
def _floe_dbt_requirement_gate(request: pytest.FixtureRequest) -> None:
    """Report a test whose row does not apply to the runtime as n/a, before it builds anything.

    Autouse and function-scoped, it runs before every other function-scoped
    fixture of the test: a suite's fixtures that build runtimes are function-scoped
    (memoised per module), so a row that does not apply builds nothing.
    """
    row = row_of(request.node)
    if row is None or "floe_dbt_runtime" not in request.fixturenames:
        return
    profile: RuntimeProfile = request.getfixturevalue("floe_dbt_profile")
    kit: ComplianceKit = request.getfixturevalue("floe_dbt_kit")
    reason = not_applicable_reason(
        row, profile, user_projects=bool(kit.projects), chaos=kit.chaos is not None
    )
    if reason is not None:
        not_applicable(reason)


@pytest.fixture
def floe_dbt_row(request: pytest.FixtureRequest) -> Requirement:
    """The catalogue row the test is bound to (its declaration: the steps it reads ...)."""
    row = row_of(request.node)
    if row is None:
        raise UnknownRow(f"{request.node.nodeid} is bound to no catalogue row (@requirement)")
    return row


@pytest.fixture
def floe_dbt_harness(
    pytestconfig: pytest.Config,
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    floe_dbt_profile: RuntimeProfile,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HarnessFactory]:
    """``floe_dbt_harness("healthy")``: the runtime on a fresh copy of a fixture project."""
    del floe_dbt_profile  # requested so a runtime that implements nothing is skipped first
    factory = HarnessFactory(
        pytestconfig, floe_dbt_runtime, tmp_path_factory, floe_dbt_kit.warehouse
    )
    yield factory
    factory.close_all()


@pytest.fixture(scope="module")
def floe_dbt_module_harness(
    pytestconfig: pytest.Config,
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    floe_dbt_profile: RuntimeProfile,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HarnessFactory]:
    """Like ``floe_dbt_harness`` for the scenarios several checks share (module scope)."""
    del floe_dbt_profile
    factory = HarnessFactory(
        pytestconfig, floe_dbt_runtime, tmp_path_factory, floe_dbt_kit.warehouse
    )
    yield factory
    factory.close_all()


@pytest.fixture(scope="module")
def floe_dbt_scenarios(
    floe_dbt_module_harness: HarnessFactory,
    floe_dbt_oracle: Oracle,
    floe_dbt_spans: SpanRecorder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ScenarioRuns]:
    """The runtime's scenario runs of this module, each beside the reference's."""
    name = floe_dbt_module_harness.name
    runs = ScenarioRuns(
        floe_dbt_module_harness,
        floe_dbt_oracle,
        floe_dbt_spans,
        lambda scenario: tmp_path_factory.mktemp(f"{name}-{scenario}"),
        floe_dbt_oracle.warehouse,
    )
    yield runs
    runs.close()
