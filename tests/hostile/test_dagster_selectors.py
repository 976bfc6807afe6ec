"""A manifest is data, not a command line: node names never become dbt flags (floe_dagster).

The Dagster plugin builds every selector from the manifest it loads (a file
fetched from dbt Cloud, or one a deploy step wrote). A node whose name or path
holds a flag, a quote or a shell metacharacter must never reach a runtime as
part of a selector: what selector syntax cannot spell is written ``?`` inside
one ``fqn:`` member, which dbt reads as a value, and the member still selects
that node and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dagster import AssetsDefinition, materialize

from floe_core.selectors import selector_members
from floe_dagster import DagsterOrchestratorPlugin, ExactSelector

sys.path.insert(0, str(Path(__file__).parents[1] / "dagster"))
from dagster_fakes import manifest_of, model_node
from dbt_selecting import DbtSelectingRuntime

HOSTILE = [
    "orders --target prod",
    "orders;rm -rf /",
    "orders' --full-refresh '",
    "orders\n--target prod",
    "orders $(touch pwned)",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_model_name_is_one_value_that_selects_only_it(name: str, tmp_path: Path) -> None:
    manifest = manifest_of(model_node("customers"), model_node("orders"), model_node(name))
    runtime = DbtSelectingRuntime(tmp_path, manifest)
    assets = DagsterOrchestratorPlugin(project_dir=tmp_path).create_assets_from_artifacts(
        {"manifest": manifest}, runtime
    )
    (step,) = [asset for asset in assets if isinstance(asset, AssetsDefinition)]
    hostile_key = next(key for key in step.keys if key.path[-1] not in ("customers", "orders"))

    result = materialize(assets, selection=[hostile_key])

    assert result.success
    (call,) = runtime.calls
    (member,) = selector_members(call["select"], field="select")
    assert member.startswith("fqn:")
    assert not set(member) & set(" \n'\";$()")
    # dbt's own matching, run on the selector: that model and nothing else.
    assert call["names"] == {name}


@pytest.mark.parametrize("directory", HOSTILE)
def test_a_hostile_directory_falls_back_to_a_safe_exact_selector(directory: str) -> None:
    manifest = manifest_of(model_node("orders", path=[directory]), model_node("customers"))

    selector = ExactSelector(manifest).for_node("model.shop.orders")

    assert selector == "fqn:orders"
    assert selector_members(selector, field="select") == ["fqn:orders"]


def test_a_name_that_looks_like_a_flag_is_only_ever_a_value(tmp_path: Path) -> None:
    manifest = manifest_of(model_node("--empty"), model_node("orders", path=["--full-refresh"]))
    selectors = ExactSelector(manifest)

    # Inside fqn:..., the text is the method's value: dbt never reads it as a flag.
    assert selectors.for_node("model.shop.--empty") == "fqn:shop.--empty"
    assert selectors.for_node("model.shop.orders") == "fqn:shop.--full-refresh.orders"
    for unique_id in manifest["nodes"]:
        (member,) = selector_members(selectors.for_node(unique_id), field="select")
        assert member.startswith("fqn:")
