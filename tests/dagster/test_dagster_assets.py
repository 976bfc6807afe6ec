"""The Dagster definitions a manifest becomes, and where the manifest comes from (no dbt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetCheckKey, AssetKey, AssetsDefinition, AssetSpec, Definitions
from dagster_fakes import (
    ScriptedLifecycleRuntime,
    ScriptedRuntime,
    dbt_test_node,
    manifest_of,
    model_node,
    seed_node,
    snapshot_node,
)

from floe_core.errors import DBTArtifactNotFoundError, DBTConfigurationError
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dagster import DagsterOrchestratorPlugin, compile_command, definitions_from_manifest


def _key(name: str) -> AssetKey:
    return AssetKey(["warehouse", "main", name])


def _shop() -> dict[str, Any]:
    """orders -> order_totals -> report, customers on their own; three tests."""
    return manifest_of(
        model_node("orders", description="Raw orders.", config={"meta": {"owner": "sales"}}),
        model_node("order_totals", ["orders"]),
        model_node("report", ["order_totals"]),
        model_node("customers"),
        dbt_test_node("not_null_orders_id", ["orders"], attached="orders"),
        dbt_test_node(
            "relationships_totals_orders", ["order_totals", "orders"], attached="order_totals"
        ),
        dbt_test_node("few_customers", ["customers"], severity="warn"),
    )


@pytest.fixture
def plugin(tmp_path: Path) -> DagsterOrchestratorPlugin:
    return DagsterOrchestratorPlugin(
        project_dir=tmp_path / "project", profiles_dir=tmp_path / "profiles", target="prod"
    )


def _steps(assets: list[AssetsDefinition | AssetSpec]) -> list[AssetsDefinition]:
    return [asset for asset in assets if isinstance(asset, AssetsDefinition)]


def test_one_subsettable_step_per_project_with_every_model(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    assets = plugin.create_assets_from_artifacts(
        {"manifest": _shop()}, ScriptedRuntime(tmp_path, _shop())
    )

    (step,) = _steps(assets)
    assert step.op.name == "dbt_shop"
    assert step.can_subset
    assert step.keys == {_key("orders"), _key("order_totals"), _key("report"), _key("customers")}
    graph = Definitions(assets=assets).resolve_asset_graph()
    assert graph.get(_key("report")).parent_keys == {_key("order_totals")}
    assert graph.get(_key("order_totals")).parent_keys == {_key("orders")}
    assert graph.get(_key("customers")).parent_keys == set()
    orders = graph.get(_key("orders"))
    assert orders.description == "Raw orders."
    assert orders.owners == ["team:sales"]
    assert orders.kinds == {"dbt", "duckdb"}
    assert orders.metadata["dbt/unique_id"] == "model.shop.orders"
    assert orders.metadata["dbt/selector"] == "fqn:shop.orders"
    assert orders.code_version == "sha-orders"


def test_tests_are_checks_on_the_model_they_test(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    assets = plugin.create_assets_from_artifacts(
        {"manifest": _shop()}, ScriptedRuntime(tmp_path, _shop())
    )

    (step,) = _steps(assets)
    specs = {spec.key: spec for spec in step.check_specs}
    assert set(specs) == {
        AssetCheckKey(_key("orders"), "not_null_orders_id"),
        AssetCheckKey(_key("order_totals"), "relationships_totals_orders"),
        AssetCheckKey(_key("customers"), "few_customers"),
    }
    relationship = specs[AssetCheckKey(_key("order_totals"), "relationships_totals_orders")]
    # The other model it reads is a dependency of the check, not of the asset.
    assert {dep.asset_key for dep in relationship.additional_deps} == {_key("orders")}
    assert relationship.blocking
    warn = specs[AssetCheckKey(_key("customers"), "few_customers")]
    assert not warn.blocking
    assert warn.metadata["dbt/severity"] == "warn"


def test_the_runtime_is_the_dbt_runtime_resource(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    (step,) = _steps(plugin.create_assets_from_artifacts({"manifest": _shop()}, runtime))

    assert "dbt_runtime" in step.required_resource_keys
    assert step.resource_defs["dbt_runtime"].resource_fn(None) is runtime  # type: ignore[arg-type]


def test_without_lifecycle_seeds_and_snapshots_read_by_models_are_external(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    manifest = manifest_of(
        seed_node("countries"),
        seed_node("unused_seed"),
        snapshot_node("orders_snap"),
        model_node("orders", ["seed.shop.countries", "snapshot.shop.orders_snap"]),
    )

    assets = plugin.create_assets_from_artifacts(
        {"manifest": manifest}, ScriptedRuntime(tmp_path, manifest)
    )

    (step,) = _steps(assets)
    assert step.keys == {_key("orders")}
    external = {asset.key for asset in assets if isinstance(asset, AssetSpec)}
    assert external == {_key("countries"), _key("orders_snap")}


def test_with_lifecycle_every_seed_and_snapshot_is_built_by_the_step(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    manifest = manifest_of(
        seed_node("countries"),
        seed_node("unused_seed"),
        snapshot_node("orders_snap"),
        model_node("orders", ["seed.shop.countries", "snapshot.shop.orders_snap"]),
        dbt_test_node("not_null_countries_code", ["seed.shop.countries"]),
    )

    assets = plugin.create_assets_from_artifacts(
        {"manifest": manifest}, ScriptedLifecycleRuntime(tmp_path, manifest)
    )

    (step,) = _steps(assets)
    assert step.keys == {
        _key("countries"),
        _key("unused_seed"),
        _key("orders_snap"),
        _key("orders"),
    }
    assert [asset for asset in assets if isinstance(asset, AssetSpec)] == []
    assert {spec.key for spec in step.check_specs} == {
        AssetCheckKey(_key("countries"), "not_null_countries_code")
    }


def test_split_by_group_gives_a_step_per_group(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders", config={"materialized": "table", "group": "sales"}),
        model_node("order_totals", ["orders"], config={"materialized": "table", "group": "sales"}),
        model_node("report", ["order_totals"], config={"materialized": "table", "group": "bi"}),
        model_node("customers"),
    )
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", split_by="group")

    steps = _steps(
        plugin.create_assets_from_artifacts(
            {"manifest": manifest}, ScriptedRuntime(tmp_path, manifest)
        )
    )

    assert {step.op.name: step.keys for step in steps} == {
        "dbt_shop": {_key("customers")},
        "dbt_shop_sales": {_key("orders"), _key("order_totals")},
        "dbt_shop_bi": {_key("report")},
    }


def test_split_by_a_function_of_the_node(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders", tags=["nightly"]), model_node("customers"), model_node("report")
    )
    plugin = DagsterOrchestratorPlugin(
        project_dir="dbt", split_by=lambda node: "nightly" if "nightly" in node.tags else None
    )

    steps = _steps(
        plugin.create_assets_from_artifacts(
            {"manifest": manifest}, ScriptedRuntime(tmp_path, manifest)
        )
    )

    assert {step.op.name: step.keys for step in steps} == {
        "dbt_shop": {_key("customers"), _key("report")},
        "dbt_shop_nightly": {_key("orders")},
    }


def test_a_configured_pool_governs_every_step(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders", config={"materialized": "table", "group": "sales"}),
        model_node("customers"),
    )
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", pool="floe_dbt", split_by="group")

    steps = _steps(
        plugin.create_assets_from_artifacts(
            {"manifest": manifest}, ScriptedRuntime(tmp_path, manifest)
        )
    )

    assert [step.op.pool for step in steps] == ["floe_dbt", "floe_dbt"]


def test_a_serial_runtime_gets_the_in_process_executor(tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", max_concurrent=3)

    defs = plugin.build_definitions(ScriptedRuntime(tmp_path, _shop()), {"manifest": _shop()})

    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"


def test_a_parallel_runtime_gets_up_to_max_concurrent_processes(tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(project_dir="dbt", max_concurrent=3)
    runtime = ScriptedRuntime(tmp_path, _shop(), parallel=True)

    defs = plugin.build_definitions(runtime, {"manifest": _shop()})

    executor = defs.resolve_implicit_global_asset_job_def().executor_def
    assert executor.name == "floe_dbt_parallel_executor"
    assert executor.apply_config_mapping({}).value["config"]["max_concurrent"] == 3


def test_loading_reads_the_runtimes_manifest_and_never_compiles(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())
    runtime.manifest_path.write_text(json.dumps(manifest_of(model_node("prebuilt"))))

    defs = plugin.build_definitions(runtime)

    assert runtime.compiles == []
    assert runtime.calls == []
    assert defs.resolve_asset_graph().get_all_asset_keys() == {_key("prebuilt")}


def test_without_a_manifest_loading_says_which_command_prepares_it(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    with pytest.raises(DBTArtifactNotFoundError) as raised:
        plugin.build_definitions(runtime, platform_manifest=tmp_path / "manifest.yaml")

    assert runtime.compiles == []
    command = (
        f"floe compile --manifest {tmp_path}/manifest.yaml --project-dir {tmp_path}/project "
        f"--profiles-dir {tmp_path}/profiles --target prod"
    )
    assert f"`{command}`" in str(raised.value)
    assert compile_command(plugin.project, tmp_path / "manifest.yaml") == command
    assert "compile first" in str(raised.value)  # the runtime's own reason


def test_a_manifest_file_prepared_ahead_is_read(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    prepared = tmp_path / "deploy" / "manifest.json"
    prepared.parent.mkdir()
    prepared.write_text(json.dumps(manifest_of(model_node("shipped"))))
    runtime = ScriptedRuntime(tmp_path, _shop())

    defs = plugin.build_definitions(runtime, manifest_path=prepared)

    assert defs.resolve_asset_graph().get_all_asset_keys() == {_key("shipped")}
    with pytest.raises(
        DBTArtifactNotFoundError, match=r"missing\.json does not exist.*floe compile"
    ):
        plugin.build_definitions(runtime, manifest_path=tmp_path / "missing.json")


def test_recompile_compiles_the_configured_project_on_load(
    plugin: DagsterOrchestratorPlugin, tmp_path: Path
) -> None:
    runtime = ScriptedRuntime(tmp_path, _shop())

    defs = plugin.build_definitions(runtime, recompile=True)

    assert runtime.compiles == [(tmp_path / "project", tmp_path / "profiles", "prod")]
    assert _key("report") in defs.resolve_asset_graph().get_all_asset_keys()


def test_definitions_from_manifest_names_its_manifest_yaml_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest_yaml = tmp_path / "platform.yaml"
    manifest_yaml.write_text("plugins:\n  dbt_runtime: local\n", encoding="utf-8")
    (tmp_path / "dbt").mkdir()

    with pytest.raises(DBTArtifactNotFoundError) as raised:
        definitions_from_manifest(manifest_yaml, project_dir=tmp_path / "dbt", target="ci")

    assert (
        f"`floe compile --manifest {manifest_yaml} --project-dir {tmp_path}/dbt "
        f"--profiles-dir {tmp_path}/dbt --target ci`"
    ) in str(raised.value)


def test_the_registry_builds_the_plugin_by_name() -> None:
    plugin = PluginRegistry().get_plugin("orchestrator", "dagster", project_dir="dbt", target="ci")

    assert isinstance(plugin, DagsterOrchestratorPlugin)
    assert plugin.project.target == "ci"


def test_artifacts_must_hold_a_manifest(plugin: DagsterOrchestratorPlugin, tmp_path: Path) -> None:
    with pytest.raises(DBTConfigurationError, match=r"artifacts\['manifest'\] is missing"):
        plugin.create_assets_from_artifacts({"run_results": {}}, ScriptedRuntime(tmp_path, _shop()))


def test_the_runtime_must_be_a_dbt_plugin(plugin: DagsterOrchestratorPlugin) -> None:
    with pytest.raises(DBTConfigurationError, match="dbt_runtime_plugin is a str, not a DBTPlugin"):
        plugin.create_assets_from_artifacts({"manifest": _shop()}, "local")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"target": ""}, "target"),
        ({"split_by": "directory"}, "split_by"),
    ],
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


class _Registry:
    """Stands in for PluginRegistry: builds the given runtime."""

    def __init__(self, runtime: ScriptedRuntime) -> None:
        self.runtime = runtime

    def create_dbt_runtime(
        self, manifest: PlatformManifest, secrets: Any = None
    ) -> ScriptedRuntime:
        return self.runtime


def test_vars_bind_the_runtime_every_step_uses(tmp_path: Path) -> None:
    prepared = tmp_path / "manifest.json"
    prepared.write_text(json.dumps(_shop()))
    manifest = PlatformManifest.model_validate({"plugins": {"dbt_runtime": "local"}})

    defs = definitions_from_manifest(
        manifest,
        project_dir=tmp_path,
        manifest_path=prepared,
        vars={"start_date": "2024-01-01"},
        registry=_Registry(ScriptedLifecycleRuntime(tmp_path, _shop())),  # type: ignore[arg-type]
    )

    (step,) = [asset for asset in defs.assets or [] if isinstance(asset, AssetsDefinition)]
    bound = step.resource_defs["dbt_runtime"].resource_fn(None)  # type: ignore[arg-type]
    assert bound.bound_vars == {"start_date": "2024-01-01"}


def test_vars_need_the_lifecycle_capability(tmp_path: Path) -> None:
    manifest = PlatformManifest.model_validate({"plugins": {"dbt_runtime": "local"}})

    with pytest.raises(DBTConfigurationError, match="vars need a runtime with the lifecycle"):
        definitions_from_manifest(
            manifest,
            project_dir=tmp_path,
            vars={"start_date": "2024-01-01"},
            registry=_Registry(ScriptedRuntime(tmp_path, _shop())),  # type: ignore[arg-type]
        )
