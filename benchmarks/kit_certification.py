"""Certification time: the kit against the bare dbt-core work its scenarios need, before and after.

Printed, never asserted. Wall time and CPU time (of the whole process tree:
the kit, the reference's worker, the emulator's dbt) side by side in one run:

* **bare**: every dbt invocation the kit makes to certify ``local``, through
  ``dbtRunner`` in one process with nothing around it (dbt-core's import
  included): the runtime's share (each scenario's steps on a fresh copy, the
  concurrent batch, the generated projects of the default seed) and the
  reference's share (each scenario once more, on another copy);
* **kit**: ``pytest --floe-dbt-compliance`` in a subprocess for ``local`` and
  for every runtime, serial and with ``-n 2``;
* **before**: the same sessions with the kit before the oracle (commit
  ``44a010e``, checked out in a temporary worktree and put first on the path).

The kit's own overhead is kit - bare, as a share of bare.

Run: ``.venv/bin/python -m benchmarks.kit_certification [--examples N] [--skip-before]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "44a010e"
SEED = 20261201


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BARE = """
import json, resource, sys, tempfile, time
from pathlib import Path
started = time.perf_counter()
from dbt.cli.main import dbtRunner
from hypothesis import HealthCheck, Phase, given, seed, settings
from floe_core.errors import DBTConfigurationError
from floe_dbt_compliance.fixture_scenarios import SCENARIOS
from floe_dbt_compliance.generated import projects, write_project
from floe_dbt_compliance.oracle.worker import _release_dbt, dbt_arguments
from floe_dbt_compliance.scenarios import Scenario, apply_change
from floe_dbt_compliance.several_projects import PROJECTS
from floe_dbt_compliance.suites.suite_concurrency import SERIAL_BATCH, SERIAL_LIFECYCLE
from floe_dbt_compliance.warehouse import Warehouse

examples, chosen = int(sys.argv[1]), int(sys.argv[2])
warehouse = Warehouse.choose(sys.argv[3] if len(sys.argv) > 3 else "duckdb")
drawn = []
settings(max_examples=examples, database=None, deadline=None, derandomize=False,
         phases=(Phase.generate,), suppress_health_check=list(HealthCheck))(
    seed(chosen)(given(projects())(lambda spec: drawn.append(spec))))()
count = 0

def play(scenario, steps, scratch, tag):
    global count
    copy = scenario.copy(Path(tempfile.mkdtemp(dir=scratch, prefix=tag)), warehouse)
    for step in steps:
        if step.command is None:
            apply_change(copy.project_dir, step.as_json())
            continue
        project_dir = copy.project_dir / (step.project_dir or "")
        try:
            args = dbt_arguments(step.command, project_dir, copy.profiles_dir,
                                 step.target or "dev", step.options, step.bound_vars)
        except DBTConfigurationError:
            continue
        dbtRunner().invoke(args)
        _release_dbt()
        count += 1
    warehouse.release(copy.schema)

with tempfile.TemporaryDirectory() as scratch:
    generated = []
    for number, spec in enumerate(drawn):
        source = write_project(spec, Path(scratch) / f"g{number}")
        generated.append(Scenario("generated", source, spec.steps))
    # SCENARIOS has lifecycle; PROJECTS are the several-projects suite's (one instance there)
    every = [*SCENARIOS.values(), SERIAL_LIFECYCLE, *PROJECTS, *generated]
    for scenario in every:  # the reference's share
        play(scenario, scenario.steps, scratch, "reference-")
    for scenario in every:  # the runtime's share
        steps = list(scenario.steps)
        if scenario is SERIAL_LIFECYCLE:
            batch = [*SERIAL_BATCH, "build", "build"]
            steps = [steps[0]] + [scenario.steps[scenario.index(key)] for key in batch]
        play(scenario, steps, scratch, "runtime-")
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - started, "count": count,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""


def bare(examples: int, warehouse: str = "duckdb") -> dict[str, float]:
    """The bare dbt-core work, in a child process: wall seconds, CPU seconds, invocations."""
    import json

    output = (
        subprocess.run(
            [sys.executable, "-c", BARE, str(examples), str(SEED), warehouse],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    found: dict[str, float] = json.loads(output)
    return found


def kit(cwd: Path, env: dict[str, str], *args: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the whole process tree) and exit code of one kit session."""
    with tempfile.TemporaryDirectory() as report:
        cpu, started = _children_cpu(), time.perf_counter()
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--floe-dbt-compliance",
                f"--floe-dbt-report={report}",
                "-p",
                "no:cacheprovider",
                "-q",
                *args,
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            check=False,
        )
        return time.perf_counter() - started, _children_cpu() - cpu, completed.returncode


def _before_tree(scratch: Path) -> Path:
    tree = scratch / "kit-before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), BEFORE],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=3, help="generated projects (kit default)")
    parser.add_argument("--skip-before", action="store_true", help="only the kit as it is")
    parser.add_argument("--local-only", action="store_true", help="only `local`, serial")
    options = parser.parse_args()
    found = bare(options.examples)
    print(
        f"bare dbt-core, {found['count']:.0f} invocations the local certification needs "
        f"(runtime and reference): {found['seconds']:.1f} s wall, {found['cpu']:.1f} s CPU"
    )
    after = {**os.environ}
    sessions = (
        ("local, serial", ("--floe-dbt-runtime=local",)),
        ("local, -n 2", ("--floe-dbt-runtime=local", "-n", "2")),
        ("all runtimes, serial", ()),
        ("all runtimes, -n 2", ("-n", "2")),
    )
    if options.local_only:
        sessions = sessions[:1]
    seeded = (f"--floe-dbt-seed={SEED}", f"--floe-dbt-examples={options.examples}")
    for label, args in sessions:
        wall, cpu, code = kit(ROOT, after, *args, *seeded)
        extra = ""
        if label == "local, serial":
            extra = (
                f"; kit overhead {100 * (wall - found['seconds']) / found['seconds']:.0f} % wall, "
                f"{100 * (cpu - found['cpu']) / found['cpu']:.0f} % CPU"
            )
        print(f"after  ({label}): {wall:.1f} s wall, {cpu:.1f} s CPU (exit {code}){extra}")
    if options.skip_before:
        return
    with tempfile.TemporaryDirectory() as scratch:
        tree = _before_tree(Path(scratch))
        try:
            before = {**os.environ, "PYTHONPATH": f"{tree / 'compliance'}:{tree / 'src'}"}
            for label, args in sessions:
                wall, cpu, code = kit(tree, before, "-p", "no:floe_dbt_cloud_kit", *args)
                print(f"before ({label}): {wall:.1f} s wall, {cpu:.1f} s CPU (exit {code})")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    main()
