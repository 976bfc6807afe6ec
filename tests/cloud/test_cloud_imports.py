"""The runtime needs httpx and pydantic only: the emulator and dbt stay unloaded."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_runtime_loads_no_emulator_or_dbt_dependency() -> None:
    code = (
        "import json, sys, floe_dbt_cloud; floe_dbt_cloud.DBTCloudPlugin; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(completed.stdout))
    assert "httpx" in loaded
    assert loaded.isdisjoint({"starlette", "uvicorn", "graphql", "dbt", "duckdb", "floe_dbt_local"})
