"""The Dagster assets, materialised in process through a scripted DBTPlugin (no dbt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from dagster_fakes import ScriptedRuntime, manifest_of, model_node

from floe_core.errors import DBTConfigurationError, DBTExecutionError
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dagster import DagsterOrchestratorPlugin, definitions_from_manifest


def _key(name: str) -> AssetKey:
    return AssetKey(["warehouse", "main", name])


def _shop() -> dict[str, Any]:
    """orders -> order_totals -> report, and an independent customers model."""
    return manifest_of(
        model_node("orders", description="Raw orders.", config={"meta": {"owner": "sales"}}),
        model_node("order_totals", ["orders"]),
        model_node("report", ["order_totals"]),
        model_node("customers"),
    )


@pytest.fixture
def plugin(tmp_path: Path) -> DagsterOrchestratorPlugin:
    return DagsterOrchestratorPlugin(
        project_dir=tmp_path / "project", profiles_dir=tmp_path / "profiles", target="prod"
    )


def _materialized(result: ExecuteInProcessResult) -> set[AssetKey]:
    return {
        event.asset_key
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def test_one_asset_per_model_with_deps_description_and_owners(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path)

    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    assert all(isinstance(asset, AssetsDefinition) for asset in assets)
    by_key = {asset.key: asset for asset in assets if isinstance(asset, AssetsDefinition)}
    assert set(by_key) == {_key("orders"), _key("order_totals"), _key("report"), _key("customers")}
    graph = Definitions(assets=assets).resolve_asset_graph()
    assert graph.get(_key("report")).parent_keys == {_key("order_totals")}
    assert graph.get(_key("order_totals")).parent_keys == {_key("orders")}
    assert graph.get(_key("customers")).parent_keys == set()
    orders = graph.get(_key("orders"))
    assert orders.description == "Raw orders."
    assert orders.owners == ["team:sales"]
    assert orders.kinds == {"dbt", "duckdb"}
    assert orders.metadata["dbt/unique_id"] == "model.shop.orders"


def test_seeds_and_sources_are_upstream_specs(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path, lineage_manifest: dict[str, Any]
) -> None:
    assets = plugin.create_assets_from_artifacts(
        {"manifest": lineage_manifest}, ScriptedRuntime(tmp_path)
    )

    specs = {asset.key for asset in assets if isinstance(asset, AssetSpec)}
    assert specs == {
        AssetKey(["lineage", "main", "country_codes"]),
        AssetKey(["lineage", "crm", "accounts"]),
    }
    graph = Definitions(assets=assets).resolve_asset_graph()
    enriched = graph.get(AssetKey(["lineage", "main", "accounts_enriched"]))
    assert enriched.parent_keys == specs
    assert enriched.owners == ["finance@example.com", "team:analytics"]
    assert enriched.group_name == "finance"
    assert not graph.get(AssetKey(["lineage", "crm", "accounts"])).is_materializable


def test_the_runtime_is_the_dbt_runtime_resource(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path)

    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    for asset in assets:
        assert isinstance(asset, AssetsDefinition)
        assert "dbt_runtime" in asset.required_resource_keys
        resource = asset.resource_defs["dbt_runtime"]
        assert resource.resource_fn(None) is runtime  # type: ignore[arg-type]


def test_each_asset_runs_its_model_through_run_models(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path)
    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    result = materialize(assets)

    assert result.success
    assert sorted(call["select"] for call in runtime.calls) == [
        "customers",
        "order_totals",
        "orders",
        "report",
    ]
    # Upstream first: Dagster follows the manifest's depends_on.
    order = [call["select"] for call in runtime.calls]
    assert order.index("orders") < order.index("order_totals") < order.index("report")
    for call in runtime.calls:
        assert call["project_dir"] == tmp_path / "project"
        assert call["profiles_dir"] == tmp_path / "profiles"
        assert call["target"] == "prod"
        assert call["exclude"] is None
        assert call["full_refresh"] is False


def test_the_run_result_is_materialization_metadata(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, models_run=1)
    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    result = materialize(assets, selection=[_key("customers")])

    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dbt/models_run"].value == 1
    assert metadata["dbt/failures"].value == 0
    assert metadata["dbt/success"].value is True
    assert metadata["dbt/execution_time_seconds"].value == 0.0
    assert metadata["dbt/runtime_type"].value == "scripted"
    assert metadata["dbt/runtime_metadata"].value == {"invocation": 0}
    assert Path(metadata["dbt/run_results_path"].value) == tmp_path / "run_results-0.json"


def test_a_failed_model_fails_its_asset_and_downstream_only(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    message = "Binder Error: Referenced column amount not found"
    runtime = ScriptedRuntime(tmp_path, errors={"order_totals": message})
    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    result = materialize(assets, raise_on_error=False)

    assert not result.success
    assert _materialized(result) == {_key("orders"), _key("customers")}
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "warehouse__main__order_totals"
    error = failure.step_failure_data.error
    assert error is not None
    assert message in error.message
    assert "model.shop.order_totals" in error.message
    failure_metadata = failure.step_failure_data.user_failure_data
    assert failure_metadata is not None
    assert failure_metadata.metadata["dbt/failures"].value == 1
    # report was never handed to dbt: Dagster skipped it.
    assert "report" not in [call["select"] for call in runtime.calls]
    assert result.is_node_untouched("warehouse__main__report")
    assert result.is_node_success("warehouse__main__customers")


def test_a_failure_without_run_results_still_fails_with_a_reason(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    class LosesArtifacts(ScriptedRuntime):
        def run_models(self, *args: Any, **kwargs: Any) -> DBTRunResult:
            result = super().run_models(*args, **kwargs)
            result.run_results_path.unlink()
            return result

    runtime = LosesArtifacts(tmp_path, errors={"customers": "boom"})
    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    result = materialize(assets, selection=[_key("customers")], raise_on_error=False)

    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    message = failure.step_failure_data.error.message
    assert "dbt model model.shop.customers failed (1 failure(s))" in message
    assert "dbt's message is unavailable" in message
    assert "run_results-0.json does not exist" in message


def test_a_run_that_builds_nothing_fails_the_asset(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, models_run=0)
    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime)

    result = materialize(assets, selection=[_key("customers")], raise_on_error=False)

    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert "ran no model for selector 'customers'" in failure.step_failure_data.error.message


def test_a_serial_runtime_gets_the_in_process_executor(tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", max_concurrent=3)
    runtime = ScriptedRuntime(tmp_path, parallel=False)

    defs = plugin.build_definitions(runtime, {"manifest": _shop()})

    job = defs.resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == "in_process"


def test_a_parallel_runtime_gets_up_to_max_concurrent_processes(tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", max_concurrent=3)
    runtime = ScriptedRuntime(tmp_path, parallel=True)

    defs = plugin.build_definitions(runtime, {"manifest": _shop()})

    executor = defs.resolve_implicit_global_asset_job_def().executor_def
    assert executor.name == "floe_dbt_parallel_executor"
    assert executor.apply_config_mapping({}).value["config"]["max_concurrent"] == 3


def test_without_artifacts_the_runtime_compiles_the_configured_project(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, manifest=_shop())

    defs = plugin.build_definitions(runtime)

    assert runtime.compiles == [(tmp_path / "project", tmp_path / "profiles", "prod")]
    assert _key("report") in defs.resolve_asset_graph().get_all_asset_keys()


def test_recompile_false_uses_a_manifest_built_ahead(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, manifest=_shop())
    runtime.manifest_path.write_text(json.dumps(manifest_of(model_node("prebuilt"))))

    defs = plugin.build_definitions(runtime, recompile=False)

    assert runtime.compiles == []
    assert defs.resolve_asset_graph().get_all_asset_keys() == {_key("prebuilt")}


def test_recompile_false_compiles_when_nothing_was_built(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, manifest=_shop())

    plugin.build_definitions(runtime, recompile=False)

    assert len(runtime.compiles) == 1


def test_a_runtime_error_fails_the_asset_with_its_message(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    class Unreachable(ScriptedRuntime):
        def wait_for_company(self, select: str) -> None:
            raise DBTExecutionError("profile 'shop' not found in profiles.yml")

    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, Unreachable(tmp_path))

    result = materialize(assets, selection=[_key("customers")], raise_on_error=False)

    (failure,) = result.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert "profile 'shop' not found" in str(failure.step_failure_data.error)


def test_a_configured_pool_governs_every_model_asset(tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", pool="floe_dbt")

    assets = plugin.create_assets_from_artifacts({"manifest": _shop()}, ScriptedRuntime(tmp_path))

    assert [asset.op.pool for asset in assets if isinstance(asset, AssetsDefinition)] == [
        "floe_dbt"
    ] * 4


def test_the_registry_builds_the_plugin_by_name() -> None:
    plugin = PluginRegistry().get_plugin("orchestrator", "dagster", project_dir="dbt", target="ci")

    assert isinstance(plugin, DagsterOrchestratorPlugin)
    assert plugin.project.target == "ci"


def test_artifacts_must_hold_a_manifest(plugin: DagsterOrchestratorPlugin, tmp_path: Path) -> None:
    with pytest.raises(DBTConfigurationError, match=r"artifacts\['manifest'\] is missing"):
        plugin.create_assets_from_artifacts({"run_results": {}}, ScriptedRuntime(tmp_path))


def test_the_runtime_must_be_a_dbt_plugin(plugin: DagsterOrchestratorPlugin) -> None:
    with pytest.raises(DBTConfigurationError, match="dbt_runtime_plugin is a str, not a DBTPlugin"):
        plugin.create_assets_from_artifacts({"manifest": _shop()}, "local")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"max_concurrent": 0}, "max_concurrent"), ({"target": ""}, "target")],
)
def test_bad_settings_name_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(DBTConfigurationError, match=f"invalid Dagster plugin settings: {field}"):
        DagsterOrchestratorPlugin(project_dir="dbt", **settings)


def test_profiles_dir_defaults_to_the_project_dir() -> None:
    assert DagsterOrchestratorPlugin(project_dir="dbt").project.profiles_dir == Path("dbt")


def test_another_orchestrator_in_the_manifest_is_refused() -> None:
    manifest = PlatformManifest.model_validate(
        {"plugins": {"dbt_runtime": "local", "orchestrator": "airflow"}}
    )

    with pytest.raises(DBTConfigurationError, match=r"plugins\.orchestrator is 'airflow'"):
        definitions_from_manifest(manifest, project_dir="dbt")
