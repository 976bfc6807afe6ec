"""Certifying outside the sandbox (issue 22): PostgreSQL, and the user's own project, timed.

Printed, never asserted. Wall time and CPU time (of the whole process tree)
of kit sessions, beside the bare dbt-core work they need:

* **postgres**: the session ``make certify-postgres`` runs (``local`` and
  ``cloud``, ``-n 2``) on a throwaway server started here, with a cold
  reference store and then a warm one, beside the same session on DuckDB;
  and ``local`` alone, serial, against the bare dbt-core work its
  certification needs on PostgreSQL (:func:`benchmarks.kit_certification.bare`);
* **project**: ``--floe-dbt-project`` on a copy of a project (default
  ``examples/jaffle_shop``), its two rows for ``local``, serial, against the
  bare work: one ``dbt compile`` (the graph) and the derived scenario twice
  (the runtime's share and the reference's), each through ``dbtRunner`` in
  one process.

Run: ``.venv/bin/python -m benchmarks.kit_outside [--project PATH] [--skip-postgres]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.kit_certification import ROOT, SEED, bare, kit

PROJECT_ROWS = ("--floe-dbt-requirement=project.agrees", "--floe-dbt-requirement=project.lifecycle")
BARE_PROJECT = """
import json, resource, sys, tempfile, time
from pathlib import Path
started = time.perf_counter()
from dbt.cli.main import dbtRunner
from floe_dbt_compliance.oracle.worker import _release_dbt, dbt_arguments
from floe_dbt_compliance.projects import target_path
from floe_dbt_compliance.recorder import read_json
from floe_dbt_compliance.scenarios import Scenario, step
from floe_dbt_compliance.user_projects import check_project, derive_scenario, read_graph
from floe_dbt_compliance.warehouse import Warehouse

project, warehouse = check_project(Path(sys.argv[1])), Warehouse.choose("duckdb")
count = 0

def play(scenario, scratch):
    global count
    copy = scenario.copy(Path(tempfile.mkdtemp(dir=scratch)), warehouse)
    for one in scenario.steps:
        dbtRunner().invoke(dbt_arguments(one.command, copy.project_dir, copy.profiles_dir,
                                         "dev", one.options, one.bound_vars))
        _release_dbt()
        count += 1
    return copy

with tempfile.TemporaryDirectory() as scratch:
    graph_of = Scenario("graph", project.source, (step("compile", "compile_project"),), user=True)
    copy = play(graph_of, scratch)
    graph = read_graph(read_json(target_path(copy.project_dir) / "manifest.json"), project)
    scenario = derive_scenario(project, graph, lifecycle=True)
    play(scenario, scratch)  # the reference's share
    play(scenario, scratch)  # the runtime's share
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - started, "count": count,
                  "cpu": usage.ru_utime + usage.ru_stime, "steps": len(scenario.steps)}))
"""


def _report(
    label: str, wall: float, cpu: float, code: int, against: dict[str, float] | None
) -> None:
    extra = ""
    if against is not None:
        extra = (
            f"; kit overhead {100 * (wall - against['seconds']) / against['seconds']:.0f} % wall, "
            f"{100 * (cpu - against['cpu']) / against['cpu']:.0f} % CPU"
        )
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU (exit {code}){extra}", flush=True)


def postgres() -> None:
    """make certify-postgres's session, cold and warm, beside DuckDB's; local against bare."""
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres_server import throwaway_postgres

    both = ("--floe-dbt-runtime=local", "--floe-dbt-runtime=cloud", "-n", "2")
    with tempfile.TemporaryDirectory() as stores:
        duck = Path(stores) / "duckdb"
        for state in ("cold", "warm"):
            wall, cpu, code = kit(ROOT, {**os.environ}, *both, f"--floe-dbt-reference-cache={duck}")
            _report(f"duckdb, local and cloud, -n 2, store {state}", wall, cpu, code, None)
        with throwaway_postgres() as server:
            env = {**os.environ, **server.environ()}
            store = Path(stores) / "postgres"
            on = ("--floe-dbt-warehouse=postgres", f"--floe-dbt-reference-cache={store}")
            for state in ("cold", "warm"):
                wall, cpu, code = kit(ROOT, env, *both, *on)
                _report(f"postgres, local and cloud, -n 2, store {state}", wall, cpu, code, None)
            os.environ.update(server.environ())  # the bare child reads libpq's variables
            found = bare(3, "postgres")
            print(
                f"bare dbt-core on postgres: {found['count']:.0f} invocations, "
                f"{found['seconds']:.1f} s wall, {found['cpu']:.1f} s CPU",
                flush=True,
            )
            seeded = (f"--floe-dbt-seed={SEED}", "--floe-dbt-examples=3")
            local = ("--floe-dbt-runtime=local", "--floe-dbt-warehouse=postgres")
            wall, cpu, code = kit(ROOT, env, *seeded, *local)
            _report("postgres, local, serial, store cold", wall, cpu, code, found)


def project(path: Path) -> None:
    """--floe-dbt-project's two rows for local against the bare work they need."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        shutil.copytree(path, copy)
        output = subprocess.run(
            [sys.executable, "-c", BARE_PROJECT, str(copy)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.splitlines()[-1]
        found = json.loads(output)
        print(
            f"bare dbt-core on {path.name}: {found['count']} invocations (a compile, then "
            f"{found['steps']} steps twice), {found['seconds']:.1f} s wall, "
            f"{found['cpu']:.1f} s CPU",
            flush=True,
        )
        args = ("--floe-dbt-runtime=local", f"--floe-dbt-project={copy}", *PROJECT_ROWS)
        wall, cpu, code = kit(ROOT, {**os.environ}, *args)
        _report(f"kit, local, {path.name}'s two rows, serial", wall, cpu, code, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT / "examples" / "jaffle_shop")
    parser.add_argument("--skip-postgres", action="store_true")
    options = parser.parse_args()
    project(options.project.resolve())
    if not options.skip_postgres:
        postgres()


if __name__ == "__main__":
    main()
