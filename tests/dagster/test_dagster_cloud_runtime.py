"""The same Dagster assets through the dbt Cloud runtime, against the emulator on loopback."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from dagster import AssetCheckSeverity, AssetKey, ExecuteInProcessResult, materialize
from shop_copies import (
    LIFECYCLE_NODES,
    MODELS,
    add_file,
    copy_shop,
    run_results_ids,
    seed_and_snapshot,
    tables,
)

from floe_core.cli import main as floe
from floe_core.errors import DBTArtifactNotFoundError
from floe_core.lifecycle import supports_lifecycle
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dagster import DagsterOrchestratorPlugin
from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _materialised(result: ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    return {
        event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def test_dbt_cloud_steps_load_without_a_warehouse_and_report_each_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_shop(tmp_path)
    add_file(copy, "models/marts/broken.sql", "select no_such_column from {{ ref('stg_orders') }}")
    add_file(
        copy,
        "tests/assert_no_big_spenders.sql",
        "select * from {{ ref('customers') }} where spent > 20",
    )
    with DbtCloudEmulator() as emulator, serve_emulator(emulator) as server:
        project = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
        monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", emulator.token)
        manifest_yaml = tmp_path / "manifest.yaml"
        cache_dir = tmp_path / "cache"
        manifest_yaml.write_text(
            yaml.safe_dump(
                {
                    "plugins": {
                        "dbt_runtime": "cloud",
                        "orchestrator": "dagster",
                        "dbt_runtime_config": {
                            "cloud": {
                                "account_id": emulator.account_id,
                                "api_token_ref": "dbt-cloud-api-token",
                                "base_url": server.base_url,
                                "environment_id": project.environment_id,
                                "job_ids": project.job_ids,
                                "poll_interval_seconds": 0.1,
                                "cache_dir": str(cache_dir),
                            }
                        },
                    }
                }
            ),
            encoding="utf-8",
        )
        runtime = PluginRegistry().create_dbt_runtime(PlatformManifest.from_yaml(manifest_yaml))
        plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
        try:
            # A fresh deployment: no compile run in dbt Cloud, nothing in the warehouse.
            with pytest.raises(DBTArtifactNotFoundError) as raised:
                plugin.build_definitions(runtime, platform_manifest=manifest_yaml)
            command = str(raised.value).split("`")[1]
            compiled = CliRunner().invoke(floe, shlex.split(command)[1:])
            assert compiled.exit_code == 0, compiled.output
            runs_before = emulator.counters.runs_triggered
            defs = plugin.build_definitions(runtime, platform_manifest=manifest_yaml)
            assert emulator.counters.runs_triggered == runs_before  # loading ran no job
            assert tables(copy) == {}

            lifecycle = supports_lifecycle(runtime)
            if not lifecycle:  # the step builds models only: seed as a deployment would
                seed_and_snapshot(copy)
            job = defs.resolve_implicit_global_asset_job_def()
            full = job.execute_in_process(raise_on_error=False)
            full_runs = emulator.counters.runs_triggered - runs_before
            assets = list(defs.assets or [])
            subset = materialize(assets, selection=[AssetKey(["shop", "main", "finance"])])
        finally:
            runtime.close()  # type: ignore[attr-defined]

    # One dbt Cloud run per dbt command of the step (seed, snapshot, run, test).
    assert full_runs == (4 if lifecycle else 2)
    assert job.executor_def.name == "floe_dbt_parallel_executor"
    assert not full.success
    assert set(_materialised(full)) == MODELS | (LIFECYCLE_NODES if lifecycle else set())
    (failure,) = full.get_step_failure_events()
    assert failure.step_failure_data.error is not None
    assert "model.shop.broken failed (error)" in failure.step_failure_data.error.message
    checks = {
        event.asset_check_key.name: (event.passed, event.severity)
        for event in full.get_asset_check_evaluations()
    }
    assert checks["assert_no_big_spenders"] == (False, AssetCheckSeverity.ERROR)
    assert checks["accepted_values_stg_orders_status__placed__shipped"] == (
        False,
        AssetCheckSeverity.WARN,
    )
    assert checks["unique_customers_customer_id"] == (True, AssetCheckSeverity.ERROR)
    for metadata in _materialised(full).values():
        assert metadata["dbt/runtime_type"] == "cloud"
        assert emulator.token not in repr(metadata)  # metadata never carries the API token

    assert subset.success
    finance = _materialised(subset)["finance"]
    run_id = finance["dbt/runtime_metadata"]["run_id"]  # type: ignore[index]
    # dbt Cloud ran exactly finance, not finance/revenue_by_customer.
    assert run_results_ids(cache_dir / str(run_id) / "run_results.json") == {"model.shop.finance"}
    assert tables(copy)["finance"] == 3
