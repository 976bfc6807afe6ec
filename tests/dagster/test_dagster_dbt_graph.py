"""Which dbt nodes become assets, under which keys, with which upstreams and owners."""

from __future__ import annotations

from typing import Any

import pytest
from dagster_fakes import manifest_of, model_node

from floe_core.errors import DBTConfigurationError
from floe_dagster import DbtAssetNode, read_dbt_graph


def _by_id(manifest: dict[str, Any]) -> dict[str, DbtAssetNode]:
    return {node.unique_id: node for node in read_dbt_graph(manifest)}


def test_assets_are_models_and_what_they_read(lineage_manifest: dict[str, Any]) -> None:
    nodes = _by_id(lineage_manifest)

    # The ephemeral model builds no relation, and the unused source feeds nothing.
    assert set(nodes) == {
        "model.lineage.account_summary",
        "model.lineage.accounts_enriched",
        "seed.lineage.country_codes",
        "source.lineage.crm.accounts",
    }
    assert [n.unique_id for n in nodes.values() if n.materialisable] == [
        "model.lineage.account_summary",
        "model.lineage.accounts_enriched",
    ]


def test_keys_are_the_relations(lineage_manifest: dict[str, Any]) -> None:
    nodes = _by_id(lineage_manifest)

    # The database is the DuckDB file's stem; the alias, not the name, names the table.
    assert nodes["model.lineage.account_summary"].key_path == (
        "lineage",
        "main",
        "summary_by_country",
    )
    assert nodes["model.lineage.accounts_enriched"].key_path == (
        "lineage",
        "main",
        "accounts_enriched",
    )
    assert nodes["seed.lineage.country_codes"].key_path == ("lineage", "main", "country_codes")
    assert nodes["source.lineage.crm.accounts"].key_path == ("lineage", "crm", "accounts")
    # Models are selected by fqn (project, directories, name), whatever their alias.
    assert nodes["model.lineage.account_summary"].selector == "fqn:lineage.account_summary"


def test_ephemeral_models_pass_their_upstreams_through(lineage_manifest: dict[str, Any]) -> None:
    nodes = _by_id(lineage_manifest)

    assert nodes["model.lineage.accounts_enriched"].upstream == (
        "seed.lineage.country_codes",
        "source.lineage.crm.accounts",
    )
    assert nodes["model.lineage.account_summary"].upstream == ("model.lineage.accounts_enriched",)


def test_descriptions_and_owners_come_from_the_manifest(lineage_manifest: dict[str, Any]) -> None:
    nodes = _by_id(lineage_manifest)
    enriched = nodes["model.lineage.accounts_enriched"]
    summary = nodes["model.lineage.account_summary"]

    assert enriched.description == "Accounts with their country."
    # The group's owner first, then meta.owner; a bare name becomes a Dagster team.
    assert enriched.owners == ("finance@example.com", "team:analytics")
    assert enriched.group == "finance"
    assert summary.owners == ("bi@example.com", "team:reporting")
    assert nodes["source.lineage.crm.accounts"].description == "One row per CRM account."
    assert nodes["seed.lineage.country_codes"].description is None


def test_versioned_models_select_their_version() -> None:
    manifest = manifest_of(
        model_node(
            "orders",
            unique_id="model.shop.orders.v2",
            version=2,
            alias="orders_v2",
            fqn=["shop", "orders", "v2"],
        )
    )

    (node,) = read_dbt_graph(manifest)

    assert node.selector == "fqn:shop.orders.v2"
    assert node.key_path == ("warehouse", "main", "orders_v2")


def test_two_nodes_on_one_relation_is_an_error() -> None:
    manifest = manifest_of(model_node("a"), model_node("b", alias="a"))

    with pytest.raises(DBTConfigurationError) as raised:
        read_dbt_graph(manifest)

    message = str(raised.value)
    assert "model.shop.a" in message
    assert "model.shop.b" in message
    assert "alias" in message


@pytest.mark.parametrize("document", [{}, {"nodes": []}, {"manifest": {"nodes": {}}}])
def test_a_document_without_nodes_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(DBTConfigurationError, match=r"artifacts\['manifest'\] has no 'nodes'"):
        read_dbt_graph(document)


def test_a_manifest_without_models_has_no_assets() -> None:
    assert read_dbt_graph({"nodes": {}, "sources": None}) == []
