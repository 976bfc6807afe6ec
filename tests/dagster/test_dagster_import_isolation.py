"""REQ-090: the Dagster plugin imports neither dbt-core nor dbt Cloud code.

A fresh interpreter refuses every such module, then imports the plugin, builds
assets and materialises them through a runtime: if the plugin (or anything it
imports) touched dbt, that import raises and the script fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BLOCKED = (
    "dbt",  # dbt-core, and dbt.adapters.* of dbt-duckdb
    "dbt_common",
    "dbt_adapters",
    "dbt_semantic_interfaces",
    "dagster_dbt",
    "floe_dbt_local",
    "floe_dbt_cloud",  # the Admin/Discovery API client and the emulator
    "dbtc",  # third-party dbt Cloud clients
    "dbt_cloud",
)

_SCRIPT = """
import importlib.abc, json, sys
from pathlib import Path

BLOCKED = {blocked!r}

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(f"{{fullname}} is blocked in this test", name=fullname)
        return None

sys.meta_path.insert(0, Refuse())
try:
    import dbt.cli.main
except ImportError:
    pass
else:
    raise SystemExit("the blocker does not work")

from dagster import materialize
from dagster_fakes import ScriptedRuntime, dbt_test_node, manifest_of, model_node
from floe_dagster import DagsterOrchestratorPlugin, definitions_from_manifest

manifest = manifest_of(
    model_node("orders"),
    model_node("totals", ["orders"]),
    dbt_test_node("not_null_orders_id", ["orders"], attached="orders"),
)
runtime = ScriptedRuntime(Path({workdir!r}), manifest)
plugin = DagsterOrchestratorPlugin(project_dir="project")
assets = plugin.create_assets_from_artifacts({{"manifest": manifest}}, runtime)
result = materialize(assets)
definitions = plugin.build_definitions(runtime, {{"manifest": manifest}})
loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
print(json.dumps({{
    "success": result.success,
    "runs": [[call["command"], call["select"]] for call in runtime.calls],
    "loaded": loaded,
}}))
"""


@pytest.mark.timeout(180)
def test_assets_build_and_run_with_dbt_and_dbt_cloud_blocked(tmp_path: Path) -> None:
    script = _SCRIPT.format(blocked=BLOCKED, workdir=str(tmp_path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}

    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=170,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report == {
        "success": True,
        "runs": [["run", "resource_type:model"], ["test", "resource_type:test"]],
        "loaded": [],
    }
