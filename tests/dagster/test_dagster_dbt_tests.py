"""Which dbt tests become checks on which asset, read from a manifest real dbt wrote."""

from __future__ import annotations

from typing import Any

import pytest
from dagster_fakes import dbt_test_node, manifest_of, model_node

from floe_dagster import DbtCheckNode, ExactSelector, read_dbt_checks, read_dbt_graph

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
    }
    # Not checks: the singular test reading two models without a ref, the source
    # test (sources are external) and the seed test (seeds are not built here).


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


def test_names_are_dagster_names_and_unique_per_asset() -> None:
    manifest = manifest_of(
        model_node("orders"),
        dbt_test_node("orders-are-fresh", ["orders"]),
        dbt_test_node("orders_are_fresh", ["orders"]),
    )

    checks = _checks(manifest)

    assert set(checks) == {"orders_are_fresh", "orders_are_fresh_2"}
    assert {check.attached_to for check in checks.values()} == {"model.shop.orders"}


@pytest.mark.parametrize(("severity", "expected"), [("WARN", "warn"), ("error", "error")])
def test_severity_is_case_insensitive(severity: str, expected: str) -> None:
    manifest = manifest_of(model_node("orders"), dbt_test_node("t", ["orders"], severity=severity))

    assert _checks(manifest)["t"].severity == expected
