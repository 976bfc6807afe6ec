"""Real Dagster, real dbt-core on DuckDB: the fixture projects through the local runtime."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, materialize
from dagster_fakes import dbt_run_spans, max_overlap
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_dagster import DagsterOrchestratorPlugin, definitions_from_manifest
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HEALTHY_MODELS = {"raw_customers", "raw_orders", "stg_orders", "customers", "fct_orders"}


def _tables(copy: ProjectCopy) -> dict[str, int]:
    """Every table and view of the copy's DuckDB file, with its row count."""
    with duckdb.connect(str(copy.database_path), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
        return {
            name: connection.execute(f'select count(*) from "{name}"').fetchone()[0]
            for (name,) in rows
        }


def test_healthy_project_materialises_every_model_serially(
    tmp_path: Path, span_exporter: InMemorySpanExporter
) -> None:
    copy = copy_project("healthy", tmp_path)
    manifest_yaml = tmp_path / "manifest.yaml"
    manifest_yaml.write_text(
        "plugins:\n  dbt_runtime: local\n  orchestrator: dagster\n", encoding="utf-8"
    )

    defs = definitions_from_manifest(
        manifest_yaml, project_dir=copy.project_dir, profiles_dir=copy.profiles_dir, target="dev"
    )
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process()

    assert result.success
    materialised = {
        event.asset_key: event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    assert {key.path[-1] for key in materialised} == HEALTHY_MODELS
    assert AssetKey(["healthy", "main", "customers"]) in materialised
    for metadata in materialised.values():
        assert metadata["dbt/runtime_type"].value == "local"
        assert metadata["dbt/models_run"].value == 1
        assert metadata["dbt/failures"].value == 0
    tables = _tables(copy)
    assert tables["customers"] == 3
    assert tables["fct_orders"] == 4
    assert tables.keys() >= HEALTHY_MODELS
    # The runtime cannot run in parallel: one executor step at a time, and its
    # own spans show one `dbt run --select <model>` per asset, never two at once.
    assert job.executor_def.name == "in_process"
    runs = dbt_run_spans(span_exporter.get_finished_spans())
    assert sorted(str(span.attributes["floe.dbt.select"]) for span in runs) == sorted(
        HEALTHY_MODELS
    )
    assert max_overlap([(span.start_time, span.end_time) for span in runs]) == 1


def test_a_sql_error_fails_its_asset_and_downstream_only(tmp_path: Path) -> None:
    copy = copy_project("sql_error", tmp_path)
    runtime = LocalDBTPlugin()
    runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
    assets = plugin.create_assets_from_artifacts(
        {"manifest": runtime.get_manifest(copy.project_dir)}, runtime
    )

    result = materialize(assets, raise_on_error=False)

    assert not result.success
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialised == {AssetKey(["sql_error", "main", "independent"])}
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "sql_error__main__broken"
    error = failure.step_failure_data.error
    assert error is not None
    assert "model.sql_error.broken" in error.message
    assert "no_such_column" in error.message  # dbt's (DuckDB's) own words
    assert result.is_node_untouched("sql_error__main__downstream")
    tables = _tables(copy)
    assert "independent" in tables
    assert "broken" not in tables
    assert "downstream" not in tables
