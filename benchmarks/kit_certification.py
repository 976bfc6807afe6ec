"""Wall time of ``pytest --floe-dbt-compliance`` against the bare dbt-core work it needs.

Printed, never asserted. The *bare* figure is the same dbt invocations the
kit's suites make for ``local`` (each on a fresh copy of its fixture project,
as the suites do), through ``dbtRunner`` in one process with nothing around
them: 6 on ``healthy`` (compile, run, test, run --exclude, run --select, run
--full-refresh), 2 on ``failing_test``, 1 on ``sql_error``, 3 on
``unparseable`` and 10 runs on a fresh ``healthy`` (the serialisation check),
plus the import of dbt-core. Then each kit session runs in a subprocess:
``local`` alone and every runtime, serial and with ``-n 2``.

Run: ``.venv/bin/python -m benchmarks.kit_certification``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

ROOT = Path(__file__).resolve().parents[1]
SEQUENCE: dict[str, list[list[str]]] = {
    "healthy": [
        ["compile"],
        ["run"],
        ["test"],
        ["run", "--exclude", "fct_orders"],
        ["run", "--select", "fct_orders"],
        ["run", "--full-refresh"],
    ],
    "failing_test": [["run"], ["test"]],
    "sql_error": [["run"]],
    "unparseable": [["compile"], ["run"], ["test"]],
    "serialisation": [["run"]] * 10,
}


def bare_seconds() -> tuple[float, int]:
    """Run the suites' dbt invocations bare in a child process; return (seconds, count)."""
    code = f"""
import time, tempfile
from pathlib import Path
started = time.perf_counter()
from dbt.cli.main import dbtRunner
from floe_dbt_compliance.projects import copy_project
count = 0
with tempfile.TemporaryDirectory() as scratch:
    for key, commands in {SEQUENCE!r}.items():
        project = "healthy" if key == "serialisation" else key
        copy = copy_project(project, Path(scratch) / key)
        for command in commands:
            dbtRunner().invoke([*command, "--project-dir", str(copy.project_dir),
                                "--profiles-dir", str(copy.profiles_dir), "--quiet"])
            count += 1
print(time.perf_counter() - started, count)
"""
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout.split()
    return float(output[-2]), int(output[-1])


def kit_seconds(*args: str) -> tuple[float, int]:
    """Wall time and exit code of one kit session in a subprocess."""
    with tempfile.TemporaryDirectory() as report:
        started = time.perf_counter()
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
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        return time.perf_counter() - started, completed.returncode


def main() -> None:
    seconds, count = bare_seconds()
    print(f"bare dbt-core, {count} invocations the local suites need: {seconds:.1f} s")
    for label, args in (
        ("local, serial", ("--floe-dbt-runtime=local",)),
        ("local, -n 2", ("--floe-dbt-runtime=local", "-n", "2")),
        ("all runtimes, serial", ()),
        ("all runtimes, -n 2", ("-n", "2")),
    ):
        wall, code = kit_seconds(*args)
        print(f"pytest --floe-dbt-compliance ({label}): {wall:.1f} s (exit {code})")


if __name__ == "__main__":
    main()
