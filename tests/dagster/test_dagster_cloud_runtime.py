"""The same Dagster assets through the dbt Cloud runtime, against the emulator on loopback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from floe_dbt_compliance.projects import copy_project

from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dagster import DagsterOrchestratorPlugin
from floe_dbt_cloud.emulator import DbtCloudEmulator, serve_emulator

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HEALTHY_MODELS = {"raw_customers", "raw_orders", "stg_orders", "customers", "fct_orders"}


def test_healthy_project_materialises_through_dbt_cloud(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_project("healthy", tmp_path)
    with DbtCloudEmulator() as emulator, serve_emulator(emulator) as server:
        project = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
        token = emulator.token
        monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", token)
        manifest_yaml = tmp_path / "manifest.yaml"
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
                                "cache_dir": str(tmp_path / "cache"),
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
            defs = plugin.build_definitions(runtime)
            job = defs.resolve_implicit_global_asset_job_def()
            result = job.execute_in_process()
        finally:
            runtime.close()  # type: ignore[attr-defined]

    assert result.success
    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    assert set(metadata) == HEALTHY_MODELS
    for values in metadata.values():
        assert values["dbt/runtime_type"].value == "cloud"
        assert values["dbt/models_run"].value == 1
        assert token not in repr(values)  # metadata never carries the API token
    # A remote runtime may run assets side by side: Definitions get the multiprocess executor.
    assert job.executor_def.name == "floe_dbt_parallel_executor"
    with duckdb.connect(str(copy.database_path), read_only=True) as connection:
        assert connection.execute("select count(*) from customers").fetchone() == (3,)
        assert connection.execute("select count(*) from fct_orders").fetchone() == (4,)
