"""A promise is declared once; the suites, the gate and the page are derived from it.

The rows of :mod:`floe_dbt_compliance.catalogue` are data: a row that
contradicts itself is refused when it is declared, the one gate decides n/a
from the row and the runtime's profile, and the kit's suites collect one
check per row that compares with the reference, none named anywhere else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from floe_dbt_compliance.capabilities import Capability, decide
from floe_dbt_compliance.catalogue import REQUIREMENTS, _rows, select
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.errors import CatalogueError, KitError, UnknownRow
from floe_dbt_compliance.fixture_scenarios import HEALTHY, LIFECYCLE, SELECTORS
from floe_dbt_compliance.harness import WAREHOUSE
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.requirements import not_applicable_reason, requirement

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.run_flags import DBTFailFast, DBTStateSelection

pytest_plugins = ("pytester",)


class Plain(DBTPlugin):  # abstract: only its class is looked at
    pass


class WithLifecycle(DBTPlugin, DBTLifecycle):
    pass


def _profile(*has: Capability, unobservable: dict[str, str] | None = None) -> RuntimeProfile:
    return RuntimeProfile(
        name="r",
        runtime_class=Plain,
        class_path="tests:Plain",
        metadata={"type": "r"},
        metadata_error=None,
        parallel=False,
        parallel_error=None,
        secrets=(),
        not_implemented=None,
        capabilities=frozenset(has),
        unobservable=unobservable or {},
    )


def test_a_runtimes_capabilities_are_decided_once_from_what_its_probe_saw(tmp_path: Path):
    assert decide(Plain, parallel=False, cache_root=None, secrets=()) == {
        Capability.SERIALISED_EXECUTION
    }
    # A runtime that cannot say whether it runs in parallel must serialise.
    assert decide(Plain, parallel=None, cache_root=None, secrets=()) == {
        Capability.SERIALISED_EXECUTION
    }
    assert decide(WithLifecycle, parallel=True, cache_root=tmp_path, secrets=("s",)) == {
        Capability.PARALLEL_EXECUTION,
        Capability.ARTIFACT_CACHE,
        Capability.LIFECYCLE,
        Capability.SECRETS,
    }

    class WithRunFlags(Plain, DBTFailFast, DBTStateSelection):  # type: ignore[misc]
        pass

    assert decide(WithRunFlags, parallel=False, cache_root=None, secrets=()) == {
        Capability.SERIALISED_EXECUTION,
        Capability.FAIL_FAST,
        Capability.STATE,
    }


def test_the_gate_reads_the_rows_capability_against_the_runtimes():
    cache_hit = REQUIREMENTS["cache.hit"]
    assert cache_hit.capability is Capability.ARTIFACT_CACHE
    assert not_applicable_reason(cache_hit, _profile(Capability.ARTIFACT_CACHE)) is None
    assert not_applicable_reason(cache_hit, _profile(Capability.LIFECYCLE)) == (
        "artifact_cache: the runtime has no artifact cache (its harness gives no cache_root)"
    )
    # A mandatory row applies to every runtime.
    assert not_applicable_reason(REQUIREMENTS["run.all"], _profile()) is None
    # A fail-fast row that reads a build step needs the lifecycle capability too.
    build_x = REQUIREMENTS["fail-fast.build"]
    assert not_applicable_reason(build_x, _profile(Capability.FAIL_FAST)) == (
        f"lifecycle: {Capability.LIFECYCLE.absent_reason}"
    )
    assert not_applicable_reason(build_x, _profile(Capability.LIFECYCLE)).startswith(  # type: ignore[union-attr]
        "fail_fast: "
    )
    assert (
        not_applicable_reason(build_x, _profile(Capability.FAIL_FAST, Capability.LIFECYCLE)) is None
    )


def test_the_gate_makes_a_warehouse_row_na_where_the_harness_cannot_read_it():
    remote = _profile(unobservable={WAREHOUSE: "a remote account"})
    assert REQUIREMENTS["run.all"].warehouse
    assert not_applicable_reason(REQUIREMENTS["run.all"], remote) == (
        "warehouse not observable: a remote account"
    )
    # A row whose promise shows in results, not in tables, is still checked there.
    assert not REQUIREMENTS["test.all"].warehouse
    assert not_applicable_reason(REQUIREMENTS["test.all"], remote) is None
    # The capability is asked first: its reason is the one a person needs.
    vars_row = REQUIREMENTS["lifecycle.vars"]
    assert not_applicable_reason(vars_row, remote).startswith("lifecycle: ")  # type: ignore[union-attr]


ORACLE = Observes.ORACLE


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (dict(key="nodot", observes=Observes.RUNTIME), "its key is not <area>.<what>"),
        (dict(observes=ORACLE), "an oracle row reads steps: give reads="),
        (
            dict(observes=Observes.RUNTIME, reads=((HEALTHY, ("run",)),)),
            "a runtime row reads no fixture-scenario steps",
        ),
        (dict(reads=((HEALTHY, ("nope",)),)), "scenario 'healthy' has no step 'nope'"),
        (
            dict(observes=ORACLE, reads=((HEALTHY, ("run",)),), aspects=("counts", "colour")),
            "aspects ['colour'] are not among",
        ),
        (
            dict(reads=((HEALTHY, ("run",)),), warehouse=True),
            "only an oracle row compares the warehouse",
        ),
        (
            dict(reads=((LIFECYCLE, ("seed_all",)),)),
            "a mandatory row reads steps that need lifecycle",
        ),
    ],
)
def test_a_row_that_contradicts_itself_is_refused_where_it_is_declared(
    declared: dict[str, object], message: str
):
    fields: dict[str, object] = {
        "key": "demo.row",
        "title": "t",
        "source": "s",
        "req_ids": ("REQ-086",),
        **declared,
    }
    with pytest.raises(CatalogueError, match=re.escape(message)) as refused:
        Requirement(**fields)  # type: ignore[arg-type]
    assert str(refused.value).startswith(f"row {fields['key']!r}: ")
    assert isinstance(refused.value, KitError)


def test_a_row_needs_every_capability_its_steps_need():
    build_x = REQUIREMENTS["fail-fast.build"]
    assert build_x.capabilities == (Capability.FAIL_FAST, Capability.LIFECYCLE)
    assert REQUIREMENTS["state.defer"].capabilities == (Capability.STATE,)
    assert REQUIREMENTS["run.all"].capabilities == ()
    with pytest.raises(CatalogueError, match="a mandatory row reads steps that need fail_fast"):
        Requirement("demo.x", "t", "s", ("REQ-086",), observes=ORACLE, reads=build_x.reads)


def test_a_lifecycle_row_may_read_any_scenario_and_a_key_is_declared_once():
    row = Requirement(
        "demo.depth",
        "t",
        "s",
        ("REQ-086",),
        capability=Capability.LIFECYCLE,
        observes=ORACLE,
        reads=((SELECTORS, ("depth",)),),
    )
    assert [step.key for step in row.steps()] == ["depth"]
    assert row.area == "demo"
    assert not row.mandatory
    with pytest.raises(CatalogueError, match=re.escape("row 'demo.depth' is declared twice")):
        _rows((row, row))
    with pytest.raises(UnknownRow, match=r"^'demo\.depth' is not in the floe-dbt requirement"):
        requirement("demo.depth")


def test_every_lifecycle_row_needs_the_capability_and_every_read_step_exists():
    for row in REQUIREMENTS.values():
        steps = list(row.steps())  # each resolves, or the catalogue would not import
        assert len(steps) == sum(len(keys) for _scenario, keys in row.reads)
        if row.area == "lifecycle":
            assert row.capability is Capability.LIFECYCLE, row.key
    assert {row.key for row in select(ORACLE, areas={"lifecycle"})} == {
        "lifecycle.seed",
        "lifecycle.seed-failure",
        "lifecycle.seed-full-refresh",
        "lifecycle.snapshot",
        "lifecycle.build",
        "lifecycle.vars",
        "lifecycle.with-vars",
        "lifecycle.counts",
        "lifecycle.hostile-input",
    }


def test_the_suites_collect_a_check_for_every_row_and_one_case_per_oracle_row(
    pytester: pytest.Pytester,
):
    recorded = pytester.inline_run(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=fusion",
        "--collect-only",
        "-p",
        "no:cacheprovider",
        "--floe-dbt-report=report",
    )
    (finished,) = recorded.getcalls("pytest_collection_finish")
    items = finished.session.items
    bound: dict[str, list[str]] = {}
    for item in items:
        marker = item.get_closest_marker("floe_dbt_requirement")
        assert marker is not None, item.nodeid
        bound.setdefault(marker.args[0], []).append(item.nodeid.split("/")[-1])
    assert set(bound) == set(REQUIREMENTS), set(REQUIREMENTS) ^ set(bound)
    cases = {
        "suite_scenarios.py::test_agrees_with_reference",
        "suite_lifecycle.py::test_lifecycle_agrees_with_reference",
        "suite_run_flags.py::test_run_flags_agree_with_reference",
    }
    for key, row in REQUIREMENTS.items():
        compared = [nodeid for nodeid in bound[key] if nodeid.split("[")[0] in cases]
        if row.observes is ORACLE:
            assert compared == [compared[0]], (key, compared)
            assert compared[0].endswith(f"[fusion-{key}]"), compared
        else:
            assert not compared, (key, compared)
