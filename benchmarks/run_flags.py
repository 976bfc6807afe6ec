"""``floe ... -x`` and slim CI beside plain dbt: wall time and agreement (printed, not asserted).

Each round runs, on fresh copies of the kit's fixture projects, the same
command through ``floe`` (the local runtime, a subprocess as a CI script
runs it) and through plain ``dbt``: ``build -x`` on ``lifecycle`` (a seed
with a bad row stops it), and the slim CI build of ``slim_ci`` (prod built
and kept as the state, ``orders`` edited, ``build --select state:modified+
--defer --state DIR`` on dev). It prints the median wall time of each, the
ratio and whether the nodes and statuses in ``run_results.json`` agree.

Run::

    .venv/bin/python -m benchmarks.run_flags [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from floe_dbt_compliance.projects import ProjectCopy, copy_project

BIN = Path(sys.executable).parent
EDITED = "select id, amount, amount * 2 as doubled from {{ ref('raw_orders') }}\n"


def _run(tool: str, copy: ProjectCopy, manifest: Path, *args: str) -> float:
    where = ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    extra = ["--manifest", str(manifest)] if tool == "floe" else []
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / tool), args[0], *extra, *where, "--quiet", *args[1:]],
        cwd=copy.project_dir,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def _statuses(copy: ProjectCopy) -> dict[str, str]:
    document = json.loads((copy.project_dir / "target" / "run_results.json").read_text())
    return {result["unique_id"]: result["status"] for result in document["results"]}


def _build_x(tool: str, scratch: Path, manifest: Path) -> tuple[float, dict[str, str]]:
    copy = copy_project("lifecycle", scratch)
    return _run(tool, copy, manifest, "build", "-x"), _statuses(copy)


def _slim(tool: str, scratch: Path, manifest: Path) -> tuple[float, dict[str, str]]:
    copy = copy_project("slim_ci", scratch)
    _run(tool, copy, manifest, "run", "--target", "prod")
    state = scratch / "prod-state"
    state.mkdir()
    shutil.copy(copy.project_dir / "target" / "manifest.json", state)
    (copy.project_dir / "models" / "orders.sql").write_text(EDITED)
    slim = ("build", "--select", "state:modified+", "--defer", "--state", str(state))
    return _run(tool, copy, manifest, *slim), _statuses(copy)


Case = Callable[[str, Path, Path], tuple[float, dict[str, str]]]
CASES: dict[str, Case] = {"build -x (lifecycle)": _build_x, "slim CI (slim_ci)": _slim}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| command | nodes | dbt median s | floe median s | floe / dbt | agrees |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="floe-bench-flags-") as root:
        manifest = Path(root) / "manifest.yaml"
        manifest.write_text("plugins:\n  dbt_runtime: local\n")
        for name, case in CASES.items():
            seconds: dict[str, list[float]] = {"dbt": [], "floe": []}
            nodes: dict[str, dict[str, str]] = {}
            for round_ in range(args.rounds):
                for tool in ("dbt", "floe") if round_ % 2 == 0 else ("floe", "dbt"):
                    took, nodes[tool] = case(
                        tool, Path(root) / f"{tool}-{round_}-{name[:5]}", manifest
                    )
                    seconds[tool].append(took)
            dbt, floe = (statistics.median(seconds[tool]) for tool in ("dbt", "floe"))
            agrees = nodes["dbt"] == nodes["floe"]
            print(
                f"| {name} | {len(nodes['dbt'])} | {dbt:.2f} | {floe:.2f} | {floe / dbt:.2f} "
                f"| {agrees} |"
            )


if __name__ == "__main__":
    main()
