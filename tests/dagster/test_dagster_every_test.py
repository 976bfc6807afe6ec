"""Real dbt-core on DuckDB: a full Dagster materialisation runs every test ``dbt build`` runs.

The oracle is plain dbt-core (``dbt seed`` then ``dbt build``, invoked here,
never through a plugin): the test ids it reports executed are the check
evaluations a full materialisation must report, one each. The project
(``audited_project``) has tests on ephemeral models (one read by nothing),
on sources that seeds feed, on a seed and a snapshot, a relationships test
between ephemeral models, a singular test reading two nodes, a failing warn
test and a unit test.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetCheckSeverity, AssetKey, Definitions, ExecuteInProcessResult
from floe_dbt_compliance.projects import ProjectCopy, copy_tree
from local_recording import ModelsOnly
from shop_copies import seed_and_snapshot, tables

from floe_core.artifacts import read_json_artifact
from floe_core.plugin_interfaces import DBTPlugin
from floe_dagster import DagsterOrchestratorPlugin
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

AUDITED = Path(__file__).parent / "audited_project"
_EXECUTED = frozenset({"pass", "fail", "warn", "error"})


def _key(name: str) -> AssetKey:
    return AssetKey(["audited", "main", name])


def _dbt(copy: ProjectCopy, *args: str) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [*args, "--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    )
    assert result.success, result.exception
    return read_json_artifact(copy.project_dir / "target" / "run_results.json", what="dbt ran")


@pytest.fixture(scope="module")
def dbt_build_tests(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The tests (data and unit) plain ``dbt seed && dbt build`` executes, one entry per run."""
    copy = copy_tree(AUDITED, tmp_path_factory.mktemp("oracle"))
    _dbt(copy, "seed")
    results = _dbt(copy, "build")["results"]
    return sorted(
        entry["unique_id"]
        for entry in results
        if entry["unique_id"].startswith(("test.", "unit_test.")) and entry["status"] in _EXECUTED
    )


def _definitions(copy: ProjectCopy, runtime: DBTPlugin) -> Definitions:
    runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
    return plugin.build_definitions(runtime)


def _evaluated(result: ExecuteInProcessResult) -> list[str]:
    return sorted(
        str(event.metadata["dbt/unique_id"].value) for event in result.get_asset_check_evaluations()
    )


def test_dbt_build_runs_twelve_tests_here(dbt_build_tests: list[str]) -> None:
    # The oracle itself: 11 data tests and 1 unit test, each once.
    assert len(dbt_build_tests) == 12
    assert Counter(uid.split(".")[0] for uid in dbt_build_tests) == {"test": 11, "unit_test": 1}


def test_a_full_materialisation_evaluates_every_test_dbt_build_runs(
    dbt_build_tests: list[str], tmp_path: Path
) -> None:
    copy = copy_tree(AUDITED, tmp_path)
    defs = _definitions(copy, LocalDBTPlugin())

    assert defs.metadata == {}  # no test left without a check
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()

    assert result.success
    assert _evaluated(result) == dbt_build_tests
    checks = {
        event.metadata["dbt/unique_id"].value: event
        for event in result.get_asset_check_evaluations()
    }
    # The lost order makes the warn test on an ephemeral model a warning.
    warn = next(event for uid, event in checks.items() if "accepted_values" in str(uid))
    assert (warn.passed, warn.severity) == (False, AssetCheckSeverity.WARN)
    assert sum(event.passed for event in checks.values()) == 11
    # Where they ran: ephemeral tests on what reads the ephemeral model, source
    # tests on the seed that feeds the source, the orphan's on what it reads.
    hosts = {str(uid).split(".")[2]: event.asset_key.path[-1] for uid, event in checks.items()}
    assert hosts["not_null_stg_customers_id"] == "customers"
    assert hosts["relationships_stg_orders_customer_id__id__ref_stg_customers_"] == "customers"
    assert hosts["accepted_values_stg_orders_status__placed__shipped"] == "customers"
    assert hosts["source_unique_raw_raw_customers_id"] == "raw_customers"
    assert hosts["unique_raw_orders_id"] == "raw_orders"
    assert hosts["not_null_customers_snapshot_id"] == "customers_snapshot"
    assert hosts["not_null_customer_names_name"] == "customers"
    assert hosts["assert_orders_have_customers"] == "customers"
    assert hosts["customers"] == "customers"  # unit_test.audited.customers.spent_sums_orders
    built = tables(copy)
    assert built["customers"] == 3
    assert built["customers_snapshot"] == 3


def test_seeds_feeding_sources_are_one_asset_each(tmp_path: Path) -> None:
    copy = copy_tree(AUDITED, tmp_path)
    graph = _definitions(copy, LocalDBTPlugin()).resolve_asset_graph()

    raw = graph.get(_key("raw_customers"))
    assert raw.is_materializable
    assert raw.metadata["dbt/unique_id"] == "seed.audited.raw_customers"
    assert raw.metadata["dbt/sources"] == ["source.audited.raw.raw_customers"]
    # customers reads the sources through ephemeral models: lineage runs through the seeds.
    assert graph.get(_key("customers")).parent_keys == {_key("raw_customers"), _key("raw_orders")}
    assert graph.get(_key("customers_snapshot")).parent_keys == {_key("raw_customers")}
    assert {key.path[-1] for key in graph.get_all_asset_keys()} == {
        "raw_customers",
        "raw_orders",
        "customers_snapshot",
        "customers",
        "orders_by_status",
        "customer_history",
    }


def test_without_lifecycle_every_test_still_runs_once(
    dbt_build_tests: list[str], tmp_path: Path
) -> None:
    copy = copy_tree(AUDITED, tmp_path)
    seed_and_snapshot(copy)  # someone else loads seeds and takes snapshots
    defs = _definitions(copy, ModelsOnly())

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()

    assert result.success
    assert _evaluated(result) == dbt_build_tests
    graph = defs.resolve_asset_graph()
    assert not graph.get(_key("raw_customers")).is_materializable
    # Seed, source and snapshot tests run on the models that read those nodes.
    hosts = {
        str(event.metadata["dbt/unique_id"].value).split(".")[2]: event.asset_key.path[-1]
        for event in result.get_asset_check_evaluations()
    }
    assert hosts["source_unique_raw_raw_customers_id"] == "customers"
    assert hosts["unique_raw_orders_id"] == "customers"
    assert hosts["not_null_customers_snapshot_id"] == "customer_history"


def test_with_the_seeds_switched_off_the_sources_are_external(tmp_path: Path) -> None:
    copy = copy_tree(AUDITED, tmp_path)
    runtime = LocalDBTPlugin().with_vars({"load_raw": False})

    graph = _definitions(copy, runtime).resolve_asset_graph()

    source = graph.get(AssetKey(["audited", "main", "raw_customers"]))
    assert not source.is_materializable
    assert source.metadata["dbt/unique_id"] == "source.audited.raw.raw_customers"
    assert _key("raw_customers") in graph.get(_key("customers")).parent_keys
