"""select, exclude and full_refresh, each proven by what it did to the DuckDB file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from floe_dbt_compliance.projects import ProjectCopy

from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

Query = Callable[[Path, str], list[tuple[object, ...]]]
ALL_MODELS = {"raw_customers", "raw_orders", "stg_orders", "customers", "fct_orders"}


def _executed(runtime: LocalDBTPlugin, copy: ProjectCopy) -> set[str]:
    results = runtime.get_run_results(copy.project_dir)["results"]
    return {row["unique_id"].rsplit(".", 1)[-1] for row in results if row["status"] == "success"}


def test_exclude_on_an_empty_database_builds_everything_else(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    tables: Callable[[Path], set[str]],
) -> None:
    copy = project("healthy")
    result = runtime.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, exclude="fct_orders"
    )
    assert (result.models_run, result.failures, result.success) == (4, 0, True)
    assert tables(copy.database_path) == ALL_MODELS - {"fct_orders"}


def test_select_with_graph_operator_builds_only_the_lineage(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin, query: Query
) -> None:
    copy = project("healthy")
    result = runtime.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="+customers"
    )
    assert result.models_run == 4
    assert _executed(runtime, copy) == ALL_MODELS - {"fct_orders"}
    assert query(copy.database_path, "select count(*) from customers") == [(3,)]


def test_select_exclude_and_full_refresh_touch_exactly_what_they_name(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin, query: Query
) -> None:
    copy = project("healthy")
    where = (copy.project_dir, copy.profiles_dir, copy.target)

    def load_modes() -> list[tuple[object, ...]]:
        return query(copy.database_path, "select load_mode, count(*) from fct_orders group by 1")

    assert runtime.run_models(*where).models_run == 5
    assert load_modes() == [("full", 4)]

    # Only `customers` runs: it comes back after being dropped, fct_orders is not rebuilt.
    with duckdb.connect(str(copy.database_path)) as connection:
        connection.execute("drop table customers")
    selected = runtime.run_models(*where, select="customers")
    assert (selected.models_run, selected.success) == (1, True)
    assert _executed(runtime, copy) == {"customers"}
    assert query(copy.database_path, "select count(*) from customers") == [(3,)]
    assert load_modes() == [("full", 4)]

    excluded = runtime.run_models(*where, exclude="fct_orders")
    assert excluded.models_run == 4
    assert _executed(runtime, copy) == ALL_MODELS - {"fct_orders"}
    assert load_modes() == [("full", 4)]

    assert runtime.run_models(*where).models_run == 5
    assert load_modes() == [("incremental", 4)]

    refreshed = runtime.run_models(*where, select="fct_orders", full_refresh=True)
    assert refreshed.models_run == 1
    assert load_modes() == [("full", 4)]
    assert runtime.get_run_results(copy.project_dir)["args"]["full_refresh"] is True
