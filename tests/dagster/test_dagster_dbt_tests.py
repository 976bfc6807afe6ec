"""Which dbt tests become checks on which asset, read from a manifest real dbt wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey
from dagster_fakes import ScriptedRuntime, dbt_test_node, manifest_of, model_node

from floe_dagster import (
    DagsterOrchestratorPlugin,
    DbtCheckNode,
    ExactSelector,
    read_dbt_checks,
    read_dbt_graph,
)

LIFECYCLE = frozenset({"model", "seed", "snapshot"})


def _checks(
    manifest: dict[str, Any], materialise: frozenset[str] = frozenset({"model"})
) -> dict[str, DbtCheckNode]:
    selectors = ExactSelector(manifest)
    nodes = read_dbt_graph(manifest, materialise=materialise, selectors=selectors)
    return {check.check_name: check for check in read_dbt_checks(manifest, nodes, selectors)}


def test_tests_attach_to_the_model_they_test(lineage_manifest: dict[str, Any]) -> None:
    checks = _checks(lineage_manifest)

    attached = {name: check.attached_to for name, check in checks.items()}
    assert attached == {
        # generic tests: dbt's attached_node
        "not_null_accounts_enriched_account_id": "model.lineage.accounts_enriched",
        "accepted_values_accounts_enriched_country__FR__DE": "model.lineage.accounts_enriched",
        "relationships_account_summary_country__country__ref_accounts_enriched_": (
            "model.lineage.account_summary"
        ),
        # a singular test reading one model
        "assert_summary_counts_accounts": "model.lineage.account_summary",
        # a singular test reading two, attached by meta.dagster.ref
        "assert_enriched_countries_known": "model.lineage.accounts_enriched",
        # a singular test reading two without a ref: the one built last
        "assert_every_country_summarised": "model.lineage.account_summary",
        # a source test: the source is external, the ephemeral accounts_clean reads
        # it, and accounts_enriched reads accounts_clean
        "source_not_null_crm_accounts_account_id": "model.lineage.accounts_enriched",
        # a seed test when seeds are not built here: what reads the seed
        "unique_country_codes_code": "model.lineage.accounts_enriched",
    }
    # Every test of the project is a check: as many as dbt build runs.
    assert len(checks) == sum(
        node["resource_type"] == "test" for node in lineage_manifest["nodes"].values()
    )
    source_test = checks["source_not_null_crm_accounts_account_id"]
    assert source_test.tested == "source.lineage.crm.accounts"
    assert source_test.parents == (
        "model.lineage.accounts_enriched",
        "source.lineage.crm.accounts",
    )


def test_the_other_models_a_test_reads_are_its_parents(lineage_manifest: dict[str, Any]) -> None:
    checks = _checks(lineage_manifest)

    relationship = checks["relationships_account_summary_country__country__ref_accounts_enriched_"]
    assert relationship.parents == (
        "model.lineage.account_summary",
        "model.lineage.accounts_enriched",
    )
    assert checks["not_null_accounts_enriched_account_id"].parents == (
        "model.lineage.accounts_enriched",
    )


def test_severity_comes_from_the_tests_config(lineage_manifest: dict[str, Any]) -> None:
    checks = _checks(lineage_manifest)

    warn = checks["accepted_values_accounts_enriched_country__FR__DE"]
    assert (warn.severity, warn.blocking) == ("warn", False)
    error = checks["not_null_accounts_enriched_account_id"]
    assert (error.severity, error.blocking) == ("error", True)


def test_each_test_is_selected_exactly(lineage_manifest: dict[str, Any]) -> None:
    checks = _checks(lineage_manifest)

    assert checks["assert_summary_counts_accounts"].selector == (
        "fqn:lineage.assert_summary_counts_accounts"
    )
    assert len({check.selector for check in checks.values()}) == len(checks)


def test_a_seed_test_is_a_check_when_the_runtime_builds_seeds(
    lineage_manifest: dict[str, Any],
) -> None:
    checks = _checks(lineage_manifest, materialise=LIFECYCLE)

    assert checks["unique_country_codes_code"].attached_to == "seed.lineage.country_codes"


def test_checks_carry_the_dbt_test_name_until_the_assets_name_them() -> None:
    manifest = manifest_of(
        model_node("orders"),
        dbt_test_node("orders-are-fresh", ["orders"]),
        dbt_test_node("orders_are_fresh", ["orders"]),
    )

    checks = _checks(manifest)

    # Dagster names are chosen with every asset in view (test_dagster_names.py).
    assert set(checks) == {"orders-are-fresh", "orders_are_fresh"}
    assert {check.attached_to for check in checks.values()} == {"model.shop.orders"}


@pytest.mark.parametrize(("severity", "expected"), [("WARN", "warn"), ("error", "error")])
def test_severity_is_case_insensitive(severity: str, expected: str) -> None:
    manifest = manifest_of(model_node("orders"), dbt_test_node("t", ["orders"], severity=severity))

    assert _checks(manifest)["t"].severity == expected


def test_a_test_on_a_source_nothing_reads_runs_in_a_checks_only_step(tmp_path: Path) -> None:
    manifest = manifest_of(
        model_node("orders"),
        dbt_test_node("source_not_null_raw_events_id", ["source.shop.raw.events"]),
    )
    manifest["sources"]["source.shop.raw.events"] = {
        **model_node("events", schema="raw"),
        "unique_id": "source.shop.raw.events",
        "resource_type": "source",
        "identifier": "events",
    }
    runtime = ScriptedRuntime(tmp_path, manifest)
    defs = DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        runtime, {"manifest": manifest}
    )

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()

    assert result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_key == AssetKey(["warehouse", "raw", "events"])
    assert {event.step_key for event in result.get_step_success_events()} == {
        "dbt_shop",
        "dbt_shop_external_checks",
    }
    assert runtime.selected("test") == [{"source_not_null_raw_events_id"}]


def test_ephemeral_tests_and_unit_tests_find_their_asset() -> None:
    ephemeral = {"materialized": "ephemeral", "meta": {}}
    manifest = manifest_of(
        model_node("orders"),
        model_node("stg", ["orders"], config=ephemeral),
        model_node("deeper", ["stg"], config=ephemeral),
        model_node("report", ["deeper"]),
        model_node("unread", ["orders"], config=ephemeral),
        dbt_test_node("not_null_stg_id", ["stg"], attached="stg"),
        dbt_test_node("not_null_unread_id", ["unread"], attached="unread"),
        dbt_test_node("report_after_orders", ["orders", "report"]),
    )
    unit = dbt_test_node("report_sums", ["report"], fqn=["shop", "report", "report_sums"])
    unit.update(unique_id="unit_test.shop.report.report_sums", resource_type="unit_test")
    manifest["unit_tests"] = {unit["unique_id"]: unit}

    checks = {check.unique_id.split(".")[2]: check for check in _checks(manifest).values()}

    # Through two ephemeral models to the first asset that reads them.
    assert checks["not_null_stg_id"].attached_to == "model.shop.report"
    assert checks["not_null_stg_id"].parents == ("model.shop.orders", "model.shop.report")
    # Read by nothing: on what it reads.
    assert checks["not_null_unread_id"].attached_to == "model.shop.orders"
    # Several parents, no meta: the one built last.
    assert checks["report_after_orders"].attached_to == "model.shop.report"
    assert checks["report"].resource_type == "unit_test"
    assert checks["report"].attached_to == "model.shop.report"
