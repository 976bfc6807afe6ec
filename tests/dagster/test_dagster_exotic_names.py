"""Real dbt-core on DuckDB: models named as dbt allows and Dagster refuses materialise.

``exotic_project`` has ``a-b`` next to ``a_b`` (a ``KeyError`` on load
before), ``a+b`` (a ``DagsterInvalidDefinitionError`` before), ``café``,
``1st``, ``x.y``, ``my model``, a 100-character name in an odd schema with an odd
alias, and tests on three of them. Everything materialises through the local
runtime, and a subset runs exactly its models, as dbt itself reports.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetsDefinition, materialize
from floe_dbt_compliance.projects import copy_tree
from local_recording import RecordingLocal

from floe_dagster import DagsterOrchestratorPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

EXOTIC = Path(__file__).parent / "exotic_project"
LONG = "long_" + "l" * 95
MODELS = {"a-b", "a_b", "a+b", "café", "1st", "x.y", "my model", LONG}
VALID = re.compile(r"[A-Za-z0-9_]+")
KEY_PART = re.compile(r"[A-Za-z0-9_.-]+")  # '-' and '.' Dagster reads as '_'


def _relations(database: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    return {(schema, name) for schema, name in rows}


def test_every_name_dbt_accepts_materialises_and_a_subset_runs_exactly_its_models(
    tmp_path: Path,
) -> None:
    copy = copy_tree(EXOTIC, tmp_path)
    runtime = RecordingLocal()
    runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    plugin = DagsterOrchestratorPlugin(copy.project_dir, copy.profiles_dir, copy.target)
    defs = plugin.build_definitions(runtime)
    graph = defs.resolve_asset_graph()
    by_name = {
        str(graph.get(key).metadata["dbt/unique_id"]).split(".", 2)[2]: key
        for key in graph.get_all_asset_keys()
    }

    assert set(by_name) == MODELS
    assert all(KEY_PART.fullmatch(part) for key in by_name.values() for part in key.path)
    identifiers = {key.to_python_identifier() for key in by_name.values()}
    assert len(identifiers) == len(MODELS)
    assert len(set(by_name.values())) == len(MODELS)
    assert by_name["a_b"] == AssetKey(["exotic", "main", "a_b"])
    assert graph.get(by_name["a_b"]).parent_keys == {by_name["a-b"]}
    assert graph.get(by_name["café"]).parent_keys == {by_name["a+b"], by_name["a_b"]}

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()

    assert result.success
    assert len(result.get_asset_materialization_events()) == len(MODELS)
    assert len(result.get_asset_check_evaluations()) == 3
    relations = _relations(copy.database_path)
    assert {name for schema, name in relations if schema == "main"} == MODELS - {LONG}
    assert ("main_odd-schema", "Odd Alias") in relations

    runtime.ran.clear()
    assets = list(defs.assets or [])
    subset = materialize(assets, selection=[by_name["a+b"], by_name["café"], by_name["my model"]])

    assert subset.success
    assert runtime.ran == [
        ("run", {"model.exotic.a+b", "model.exotic.café", "model.exotic.my model"}),
        ("test", {n for n in _test_ids(assets) if "a+b" in n or "café" in n}),
    ]


def _test_ids(assets: list[object]) -> set[str]:
    return {
        str(spec.metadata["dbt/unique_id"])
        for asset in assets
        if isinstance(asset, AssetsDefinition)
        for spec in asset.check_specs
    }
