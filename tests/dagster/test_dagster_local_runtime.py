"""Real Dagster, real dbt-core on DuckDB: the shop project through the local runtime."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from dagster import AssetCheckSeverity, AssetKey, ExecuteInProcessResult, materialize
from dagster_fakes import dbt_spans
from local_recording import RecordingLocal
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shop_copies import (
    LIFECYCLE_NODES,
    MODELS,
    add_file,
    copy_shop,
    tables,
)

from floe_core.cli import main as floe
from floe_core.errors import DBTArtifactNotFoundError
from floe_dagster import DagsterOrchestratorPlugin, definitions_from_manifest
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _key(name: str) -> AssetKey:
    return AssetKey(["shop", "main", name])


def _manifest_yaml(directory: Path) -> Path:
    path = directory / "manifest.yaml"
    path.write_text("plugins:\n  dbt_runtime: local\n  orchestrator: dagster\n", encoding="utf-8")
    return path


def _metadata(result: ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    return {
        event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def _checks(result: ExecuteInProcessResult) -> dict[str, tuple[bool, AssetCheckSeverity, int]]:
    return {
        event.asset_check_key.name: (
            event.passed,
            event.severity,
            event.metadata["dbt/failed_row_count"].value,
        )
        for event in result.get_asset_check_evaluations()
    }


def _names(ran: list[tuple[str, set[str]]]) -> list[tuple[str, set[str]]]:
    # model.shop.<name>, test.shop.<name>[.<hash dbt derives from the test's arguments>]
    return [(command, {uid.split(".")[2] for uid in uids}) for command, uids in ran]


def test_from_an_empty_warehouse_to_every_asset_in_one_step_and_an_exact_subset(
    tmp_path: Path, span_exporter: InMemorySpanExporter
) -> None:
    copy = copy_shop(tmp_path)
    manifest_yaml = _manifest_yaml(tmp_path)
    settings = {"project_dir": copy.project_dir, "profiles_dir": copy.profiles_dir}

    # A fresh deployment: no manifest yet. The error says exactly what to run.
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        definitions_from_manifest(manifest_yaml, **settings)
    command = str(raised.value).split("`")[1]
    assert command.startswith("floe compile --manifest")
    outcome = CliRunner().invoke(floe, shlex.split(command)[1:])
    assert outcome.exit_code == 0, outcome.output
    span_exporter.clear()

    defs = definitions_from_manifest(manifest_yaml, **settings)

    assert [span.name for span in span_exporter.get_finished_spans()] == []  # no dbt on load
    assert tables(copy) == {}  # not a table in the warehouse
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == "in_process"

    result = job.execute_in_process()

    assert result.success
    # The local runtime has the lifecycle capability: seeds and the snapshot are
    # built in the step too. One invocation per dbt command.
    spans = span_exporter.get_finished_spans()
    assert [len(dbt_spans(spans, command)) for command in ("seed", "snapshot", "run", "test")] == [
        1,
        1,
        1,
        1,
    ]
    assert [span.name for span in sorted(spans, key=lambda s: s.start_time or 0)] == [
        "floe.dbt.seed",
        "floe.dbt.snapshot",
        "floe.dbt.run",
        "floe.dbt.test",
    ]
    metadata = _metadata(result)
    assert set(metadata) == MODELS | LIFECYCLE_NODES
    customers = metadata["customers"]
    assert customers["dbt/status"] == "success"
    assert customers["dbt/runtime_type"] == "local"
    assert customers["dbt/relation_name"] == '"shop"."main"."customers"'
    assert isinstance(customers["dbt/execution_time_seconds"], float)
    compiled = Path(str(customers["dbt/compiled_code_path"]))
    assert compiled.name == "customers.sql"
    assert "left join" in compiled.read_text(encoding="utf-8")
    assert metadata["raw_orders"]["dbt/status"] == "success"
    checks = _checks(result)
    # The 'lost' order makes the warn test fail with one row: a warning, the run succeeds.
    assert checks.pop("accepted_values_stg_orders_status__placed__shipped") == (
        False,
        AssetCheckSeverity.WARN,
        1,
    )
    assert set(checks) == {
        "unique_stg_orders_order_id",
        "not_null_stg_orders_order_id",
        "unique_customers_customer_id",
        "not_null_customers_customer_id",
        "relationships_revenue_by_customer_customer_id__customer_id__ref_customers_",
        "assert_revenue_positive",
    }
    assert all(passed for passed, _, _ in checks.values())
    built = tables(copy)
    assert built["customers"] == 3
    assert built["orders_snapshot"] == 4

    # Two of nine: marts/finance.sql, whose fqn is also the directory
    # marts/finance/ (revenue_by_customer), and customers. dbt runs exactly those.
    runtime = RecordingLocal()
    plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
    assets = plugin.create_assets_from_artifacts(
        {"manifest": runtime.get_manifest(copy.project_dir)}, runtime
    )
    subset = materialize(assets, selection=[_key("finance"), _key("customers")])

    assert subset.success
    assert set(_metadata(subset)) == {"finance", "customers"}
    assert _names(runtime.ran) == [
        ("run", {"finance", "customers"}),
        (
            "test",
            {
                "unique_customers_customer_id",
                "not_null_customers_customer_id",
                "assert_revenue_positive",
            },
        ),
    ]


def test_a_failing_model_and_failing_tests_inside_one_step(tmp_path: Path) -> None:
    copy = copy_shop(tmp_path)
    add_file(copy, "models/marts/broken.sql", "select no_such_column from {{ ref('stg_orders') }}")
    add_file(copy, "models/marts/after_broken.sql", "select * from {{ ref('broken') }}")
    add_file(
        copy,
        "tests/assert_no_big_spenders.sql",
        "select * from {{ ref('customers') }} where spent > 20",
    )
    runtime = LocalDBTPlugin()
    runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
    assets = plugin.create_assets_from_artifacts(
        {"manifest": runtime.get_manifest(copy.project_dir)}, runtime
    )

    result = materialize(assets, raise_on_error=False)

    assert not result.success
    # The other nodes of the step were built and count as materialised.
    assert set(_metadata(result)) == MODELS | LIFECYCLE_NODES
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "dbt_shop"
    error = failure.step_failure_data.error
    assert error is not None
    assert "model.shop.broken failed (error)" in error.message
    assert "no_such_column" in error.message  # dbt's (DuckDB's) own words
    assert "model.shop.after_broken was skipped by dbt" in error.message
    checks = _checks(result)
    # An error-severity test that finds rows fails with ERROR; the warn one warns.
    assert checks["assert_no_big_spenders"] == (False, AssetCheckSeverity.ERROR, 1)
    assert checks["accepted_values_stg_orders_status__placed__shipped"][1] == (
        AssetCheckSeverity.WARN
    )
    assert checks["unique_customers_customer_id"] == (True, AssetCheckSeverity.ERROR, 0)
    built = tables(copy)
    assert "customers" in built
    assert "broken" not in built
    assert "after_broken" not in built
