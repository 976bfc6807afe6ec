"""The troubleshooting page's Dagster messages, provoked by loading manifests (no dbt run).

Same rules as ``test_docs_troubleshooting.py``: each message is produced by
the code and compared with the page's tagged block.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from test_docs_troubleshooting import ROOT, documented

from floe_core.errors import DBTConfigurationError
from floe_dagster import DagsterOrchestratorPlugin

sys.path.insert(0, str(ROOT / "tests" / "dagster"))
from dagster_fakes import ScriptedRuntime, dbt_test_node, manifest_of, model_node, seed_node


def _load(manifest: dict[str, Any], tmp_path: Path) -> None:
    DagsterOrchestratorPlugin(project_dir=tmp_path).build_definitions(
        ScriptedRuntime(tmp_path, manifest), {"manifest": manifest}
    )


def _refusal(manifest: dict[str, Any], tmp_path: Path) -> str:
    with pytest.raises(DBTConfigurationError) as caught:
        _load(manifest, tmp_path)
    return str(caught.value)


def test_damaged_manifest_message(tmp_path: Path) -> None:
    manifest = manifest_of(model_node("orders"), model_node("totals", ["orders"]))
    manifest["nodes"]["model.shop.orders"]["depends_on"] = None
    assert _refusal(manifest, tmp_path) == documented("dagster-manifest-damaged")


def test_cycle_message(tmp_path: Path) -> None:
    manifest = manifest_of(model_node("orders", ["totals"]), model_node("totals", ["orders"]))
    assert _refusal(manifest, tmp_path) == documented("dagster-manifest-cycle")


def test_two_builders_message(tmp_path: Path) -> None:
    relation = {"schema": "raw", "alias": "customers"}
    quoted = '"warehouse"."raw"."customers"'
    manifest = manifest_of(
        seed_node("raw_customers", relation_name=quoted, **relation),
        seed_node("customers_copy", relation_name=quoted, **relation),
    )
    assert _refusal(manifest, tmp_path) == documented("dagster-two-builders")


def test_cannot_select_message(tmp_path: Path) -> None:
    manifest = manifest_of(model_node("cafe"), model_node("café"))
    assert _refusal(manifest, tmp_path) == documented("dagster-cannot-select")


def test_not_a_check_message(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    manifest = manifest_of(
        model_node("orders"),
        model_node("calendar", config={"materialized": "ephemeral", "meta": {}}),
        dbt_test_node("unique_calendar_day", ["calendar"], attached="calendar"),
    )
    with caplog.at_level(logging.WARNING, logger="floe_dagster.plugin"):
        _load(manifest, tmp_path)
    (record,) = [r for r in caplog.records if r.name == "floe_dagster.plugin"]
    assert record.getMessage() == documented("dagster-test-not-check")
