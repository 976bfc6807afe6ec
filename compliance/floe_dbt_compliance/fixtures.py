"""The kit's fixtures, registered only under ``--floe-dbt-compliance``.

User tests collected in the same session may use them too: ask for
``floe_dbt_runtime`` to be run once per selected runtime, and for
``floe_dbt_harness`` to get that runtime on a fixture project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

import pytest

from floe_dbt_compliance.harness import (
    RuntimeHarness,
    RuntimeProfile,
    build_harness,
    close_harness,
)
from floe_dbt_compliance.kit import ComplianceKit
from floe_dbt_compliance.report import NOT_IMPLEMENTED_PREFIX
from floe_dbt_compliance.requirements import (
    CAPABILITIES,
    MARKER,
    NOT_APPLICABLE_PREFIX,
    REQUIREMENTS,
    not_applicable_reason,
)
from floe_dbt_compliance.spans import SpanRecorder, span_recorder

__all__ = [
    "HarnessFactory",
    "floe_dbt_harness",
    "floe_dbt_kit",
    "floe_dbt_profile",
    "floe_dbt_runtime",
    "floe_dbt_spans",
    "require_capability",
]


class HarnessFactory:
    """Builds harnesses for one runtime, each on a fresh project copy, and closes them all."""

    def __init__(
        self, config: pytest.Config, name: str, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        self._config = config
        self._name = name
        self._tmp_path_factory = tmp_path_factory
        self._built: list[RuntimeHarness] = []

    def __call__(self, project: str) -> RuntimeHarness:
        """Return the runtime on a new copy of ``project``."""
        harness = build_harness(self._config, self._name, project, self._tmp_path_factory)
        self._built.append(harness)
        return harness

    def close_all(self) -> None:
        """Close every harness built, newest first."""
        while self._built:
            close_harness(self._built.pop())


@pytest.fixture(scope="session")
def floe_dbt_kit(pytestconfig: pytest.Config) -> ComplianceKit:
    """The kit's session state."""
    kit = pytestconfig.pluginmanager.get_plugin("floe_dbt_compliance.kit")
    if kit is None:
        raise RuntimeError("the floe-dbt kit is not active; run pytest with --floe-dbt-compliance")
    return cast(ComplianceKit, kit)


@pytest.fixture(scope="session")
def floe_dbt_spans() -> SpanRecorder:
    """The span recorder on the process's SDK tracer provider."""
    return span_recorder()


@pytest.fixture(scope="module")
def floe_dbt_runtime(request: pytest.FixtureRequest) -> str:
    """The runtime under test (parametrized over ``--floe-dbt-runtime``)."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def floe_dbt_profile(
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> RuntimeProfile:
    """What the kit learnt about the runtime; a runtime that implements nothing is skipped."""
    profile = floe_dbt_kit.profile(floe_dbt_runtime, tmp_path_factory)
    if profile.not_implemented is not None:
        pytest.skip(f"{NOT_IMPLEMENTED_PREFIX}{profile.not_implemented}")
    return profile


def require_capability(profile: RuntimeProfile, capability: str) -> None:
    """Skip as not applicable unless the runtime has ``capability``."""
    found = CAPABILITIES[capability]
    if not found.present(profile):
        pytest.skip(f"{NOT_APPLICABLE_PREFIX}{found.name}: {found.absent_reason}")


@pytest.fixture(autouse=True)
def _floe_dbt_requirement_gate(request: pytest.FixtureRequest) -> None:
    """Report a requirement whose capability the runtime lacks as n/a."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None or "floe_dbt_runtime" not in request.fixturenames:
        return
    profile: RuntimeProfile = request.getfixturevalue("floe_dbt_profile")
    reason = not_applicable_reason(REQUIREMENTS[marker.args[0]], profile)
    if reason is not None:
        pytest.skip(f"{NOT_APPLICABLE_PREFIX}{reason}")


@pytest.fixture
def floe_dbt_harness(
    pytestconfig: pytest.Config,
    floe_dbt_runtime: str,
    floe_dbt_profile: RuntimeProfile,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], RuntimeHarness]]:
    """``floe_dbt_harness("healthy")``: the runtime on a fresh copy of a fixture project."""
    del floe_dbt_profile  # requested so a runtime that implements nothing is skipped first
    factory = HarnessFactory(pytestconfig, floe_dbt_runtime, tmp_path_factory)
    yield factory
    factory.close_all()


@pytest.fixture(scope="module")
def floe_dbt_module_harness(
    pytestconfig: pytest.Config,
    floe_dbt_runtime: str,
    floe_dbt_profile: RuntimeProfile,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HarnessFactory]:
    """Like ``floe_dbt_harness`` for the scenarios several checks share (module scope)."""
    del floe_dbt_profile
    factory = HarnessFactory(pytestconfig, floe_dbt_runtime, tmp_path_factory)
    yield factory
    factory.close_all()
