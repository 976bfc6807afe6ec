"""One Dagster step, one runtime call per dbt command: counted on a scripted runtime (no dbt)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    ExecuteInProcessResult,
    asset,
    materialize,
)
from dagster_fakes import (
    ScriptedLifecycleRuntime,
    ScriptedRuntime,
    dbt_test_node,
    manifest_of,
    model_node,
    seed_node,
    snapshot_node,
)

from floe_core.errors import DBTExecutionError
from floe_dagster import DagsterOrchestratorPlugin


def _key(name: str) -> AssetKey:
    return AssetKey(["warehouse", "main", name])


def _check(model: str, name: str) -> AssetCheckKey:
    return AssetCheckKey(_key(model), name)


def _shop(models: int = 0) -> dict[str, Any]:
    """orders -> order_totals -> report, customers, and ``models`` independent ones; 4 tests."""
    return manifest_of(
        model_node("orders"),
        model_node("order_totals", ["orders"]),
        model_node("report", ["order_totals"]),
        model_node("customers"),
        *(model_node(f"m{number:03d}") for number in range(models)),
        dbt_test_node("not_null_orders_id", ["orders"], attached="orders"),
        dbt_test_node("unique_orders_id", ["orders"], attached="orders"),
        dbt_test_node(
            "relationships_totals_orders", ["order_totals", "orders"], attached="order_totals"
        ),
        dbt_test_node("few_customers", ["customers"], severity="warn"),
    )


def _run(
    runtime: ScriptedRuntime,
    selection: Any = None,
    *,
    extra: list[Any] | None = None,
    **settings: Any,
) -> ExecuteInProcessResult:
    plugin = DagsterOrchestratorPlugin(
        project_dir=runtime.workdir / "project", target="prod", **settings
    )
    assets = plugin.create_assets_from_artifacts({"manifest": runtime.manifest}, runtime)
    return materialize([*assets, *(extra or [])], selection=selection, raise_on_error=False)


def _materialised(result: ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.path[-1]
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def _checks(result: ExecuteInProcessResult) -> dict[str, tuple[bool, AssetCheckSeverity]]:
    return {
        event.asset_check_key.name: (event.passed, event.severity)
        for event in result.get_asset_check_evaluations()
    }


def test_fifty_models_are_one_run_and_one_test_call(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop(models=46))

    result = _run(runtime)

    assert result.success
    assert runtime.commands() == ["run", "test"]
    # Everything selected: one short selector per command, not 50 names.
    assert [call["select"] for call in runtime.calls] == [
        "resource_type:model",
        "resource_type:test",
    ]
    assert len(_materialised(result)) == 50
    assert set(_checks(result)) == {
        "not_null_orders_id",
        "unique_orders_id",
        "relationships_totals_orders",
        "few_customers",
    }
    for call in runtime.calls:
        assert call["project_dir"] == tmp_path / "project"
        assert call["profiles_dir"] == tmp_path / "project"
        assert call["target"] == "prod"
        assert call["exclude"] is None


def test_two_of_fifty_select_exactly_those_and_their_checks(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop(models=46))

    result = _run(runtime, [_key("orders"), _key("m007")])

    assert result.success
    assert runtime.commands() == ["run", "test"]
    assert runtime.calls[0]["select"] == "fqn:shop.m007 fqn:shop.orders"
    assert runtime.selected("run") == [{"orders", "m007"}]
    assert runtime.selected("test") == [{"not_null_orders_id", "unique_orders_id"}]
    assert _materialised(result) == {"orders", "m007"}


def test_each_model_is_reported_from_run_results(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    result = _run(runtime, [_key("customers")])

    (event,) = result.get_asset_materialization_events()
    metadata = {name: value.value for name, value in event.materialization.metadata.items()}
    assert metadata["dbt/unique_id"] == "model.shop.customers"
    assert metadata["dbt/status"] == "success"
    assert metadata["dbt/execution_time_seconds"] == 0.25
    assert metadata["dbt/rows_affected"] == 7
    assert metadata["dbt/relation_name"] == '"warehouse"."main"."customers"'
    assert metadata["dbt/message"] == "OK"
    assert metadata["dbt/runtime_type"] == "scripted"
    assert metadata["dbt/runtime_metadata"]["invocation"] == 0
    assert Path(metadata["dbt/run_results_path"]) == tmp_path / f"run_results-{os.getpid()}-0.json"
    assert "dbt/compiled_code_path" not in metadata  # the scripted runtime compiles nothing


def test_a_failed_model_fails_its_asset_and_the_others_still_materialise(tmp_path: Path) -> None:
    message = "Binder Error: Referenced column amount not found"
    runtime = ScriptedRuntime(tmp_path, _shop(), errors={"order_totals": message})

    @asset(deps=[_key("customers")])
    def customer_report() -> None:
        """A non-dbt asset downstream of a model that built."""

    result = _run(runtime, extra=[customer_report])

    assert not result.success
    assert runtime.commands() == ["run", "test"]
    assert _materialised(result) == {"orders", "customers"}
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "dbt_shop"
    error = failure.step_failure_data.error
    assert error is not None
    assert f"model.shop.order_totals failed (error): {message}" in error.message
    assert "model.shop.report was skipped by dbt" in error.message
    # The relationship test reads the failed model: not run; the other checks were.
    assert "test.shop.relationships_totals_orders.0a1b2c was not run" in error.message
    assert runtime.selected("test") == [{"not_null_orders_id", "unique_orders_id", "few_customers"}]
    assert set(_checks(result)) == {"not_null_orders_id", "unique_orders_id", "few_customers"}
    user_data = failure.step_failure_data.user_failure_data
    assert user_data is not None
    assert user_data.metadata["dbt/not_built"].value == [
        "model.shop.order_totals",
        "model.shop.report",
    ]
    # Dagster skips the steps downstream of the failed step.
    assert result.is_node_untouched("customer_report")


def test_warn_is_a_warning_and_the_step_succeeds(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop(), test_results={"few_customers": ("warn", 3)})

    result = _run(runtime)

    assert result.success
    checks = _checks(result)
    assert checks["few_customers"] == (False, AssetCheckSeverity.WARN)
    assert checks["not_null_orders_id"] == (True, AssetCheckSeverity.ERROR)
    (warned,) = [
        event
        for event in result.get_asset_check_evaluations()
        if event.asset_check_key.name == "few_customers"
    ]
    assert warned.metadata["dbt/failed_row_count"].value == 3
    assert warned.metadata["dbt/severity"].value == "warn"


def test_a_failing_error_test_fails_the_step_after_every_result(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop(), test_results={"unique_orders_id": ("fail", 2)})

    result = _run(runtime)

    assert not result.success
    assert len(_materialised(result)) == 4
    checks = _checks(result)
    assert checks["unique_orders_id"] == (False, AssetCheckSeverity.ERROR)
    assert checks["not_null_orders_id"] == (True, AssetCheckSeverity.ERROR)
    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert "blocking asset check failed" in failure.step_failure_data.error.message


def test_checks_run_alone_without_materialising(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    result = _run(
        runtime,
        AssetSelection.checks(
            _check("orders", "unique_orders_id"), _check("customers", "few_customers")
        ),
    )

    assert result.success
    assert runtime.commands() == ["test"]
    assert runtime.selected("test") == [{"unique_orders_id", "few_customers"}]
    assert _materialised(result) == set()
    assert set(_checks(result)) == {"unique_orders_id", "few_customers"}


def test_an_asset_without_its_checks_runs_no_test(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    result = _run(runtime, AssetSelection.assets(_key("orders")).without_checks())

    assert result.success
    assert runtime.commands() == ["run"]
    assert _checks(result) == {}


def test_a_node_missing_from_run_results_fails_the_step(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop(), omit=["customers", "few_customers"])

    result = _run(runtime)

    assert not result.success
    assert _materialised(result) == {"orders", "order_totals", "report"}
    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    message = failure.step_failure_data.error.message
    assert "model.shop.customers was not in dbt's run results" in message
    assert "floe compile" in message
    # Its test was not run: the model it tests did not build.
    assert "few_customers" not in runtime.selected("test")[0]


def test_a_runtime_error_fails_the_step_with_its_message(tmp_path: Path) -> None:
    class Unreachable(ScriptedRuntime):
        def wait_for_company(self, select: str | None) -> None:
            raise DBTExecutionError("profile 'shop' not found in profiles.yml")

    result = _run(Unreachable(tmp_path, _shop()), [_key("customers")])

    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert "profile 'shop' not found" in str(failure.step_failure_data.error)
    assert _materialised(result) == set()


def test_each_step_of_a_split_project_is_one_run_call(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders", config={"materialized": "table", "group": "sales"}),
        model_node("order_totals", ["orders"], config={"materialized": "table", "group": "sales"}),
        model_node("report", ["order_totals"], config={"materialized": "table", "group": "bi"}),
    )
    runtime = ScriptedRuntime(tmp_path, manifest)

    result = _run(runtime, split_by="group")

    assert result.success
    # Upstream step first: Dagster follows the dependencies between the steps.
    assert runtime.selected("run") == [{"orders", "order_totals"}, {"report"}]


def _lifecycle_shop() -> dict[str, Any]:
    return manifest_of(
        seed_node("raw_orders"),
        seed_node("countries"),
        snapshot_node("orders_snap", ["seed.shop.raw_orders"]),
        model_node("orders", ["snapshot.shop.orders_snap", "seed.shop.countries"]),
        model_node("report", ["orders"]),
        dbt_test_node("not_null_raw_orders_id", ["seed.shop.raw_orders"]),
        dbt_test_node("not_null_orders_id", ["orders"], attached="orders"),
    )


def test_seeds_snapshots_and_models_are_one_call_each(tmp_path: Path) -> None:
    runtime = ScriptedLifecycleRuntime(tmp_path, _lifecycle_shop())

    result = _run(runtime)

    assert result.success
    assert runtime.commands() == ["seed", "snapshot", "run", "test"]
    assert runtime.selected("seed") == [{"raw_orders", "countries"}]
    assert runtime.selected("snapshot") == [{"orders_snap"}]
    assert runtime.selected("run") == [{"orders", "report"}]
    assert _materialised(result) == {"raw_orders", "countries", "orders_snap", "orders", "report"}
    assert set(_checks(result)) == {"not_null_raw_orders_id", "not_null_orders_id"}


def test_a_snapshot_of_a_model_runs_between_its_model_and_what_reads_it(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders"),
        snapshot_node("orders_snap", ["orders"]),
        model_node("history", ["snapshot.shop.orders_snap"]),
        model_node("customers"),
    )
    runtime = ScriptedLifecycleRuntime(tmp_path, manifest)

    result = _run(runtime)

    assert result.success
    assert runtime.commands() == ["run", "snapshot", "run"]
    assert runtime.selected("run") == [{"orders", "customers"}, {"history"}]


def test_what_reads_a_failed_seed_is_not_handed_to_dbt(tmp_path: Path) -> None:
    runtime = ScriptedLifecycleRuntime(
        tmp_path, _lifecycle_shop(), errors={"raw_orders": "Could not convert 'x' to INTEGER"}
    )

    result = _run(runtime)

    assert not result.success
    # Nothing else can build, and the remaining checks test unbuilt nodes: no other call.
    assert runtime.commands() == ["seed"]
    assert _materialised(result) == {"countries"}
    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    message = failure.step_failure_data.error.message
    assert "seed.shop.raw_orders failed (error): Could not convert 'x' to INTEGER" in message
    assert "snapshot.shop.orders_snap was not run: upstream seed.shop.raw_orders" in message
    assert "model.shop.report was not run" in message
    assert "test.shop.not_null_orders_id.0a1b2c was not run: model.shop.orders" in message


@pytest.mark.parametrize("selected", [["orders"], ["raw_orders", "report"]])
def test_a_lifecycle_subset_calls_only_the_commands_it_needs(
    tmp_path: Path, selected: list[str]
) -> None:
    runtime = ScriptedLifecycleRuntime(tmp_path, _lifecycle_shop())

    result = _run(runtime, AssetSelection.assets(*map(_key, selected)).without_checks())

    assert result.success
    expected = {"orders": ["run"], "raw_orders": ["seed"], "report": ["run"]}
    assert runtime.commands() == [cmd for name in selected for cmd in expected[name]]
    assert _materialised(result) == set(selected)
