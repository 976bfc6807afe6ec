"""`floe build` on examples/jaffle_shop, as a person runs it: one line per node, as dbt's.

A real process (the console script), so that what logging does with no
handler of the caller's would show: dbt's errors must never come out as
``ERROR:floe_dbt_local.events:...``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from jaffle_project import write_file

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

FLOE = Path(sys.executable).with_name("floe")
BROKEN_SQL = "select id from {{ ref('stg_customers') }} cross join raw_nowhere\n"
# Top-level arguments of a generic test: dbt 1.10+ fires a deprecation (and its summary).
DEPRECATED_TEST = """version: 2
models:
  - name: broken
    columns:
      - name: id
        data_tests:
          - accepted_values:
              values: [1]
"""
_RESULT = re.compile(r"^\d\d:\d\d:\d\d  (\d+) of (\d+) (OK|PASS|ERROR|SKIP|FAIL|WARN)\b", re.M)
_START = re.compile(r"^\d\d:\d\d:\d\d  (\d+) of (\d+) START\b", re.M)


def _floe(copy: ProjectCopy, *args: str) -> subprocess.CompletedProcess[str]:
    (copy.project_dir / "manifest.yaml").write_text("plugins:\n  dbt_runtime: local\n")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [str(FLOE), *args],
        cwd=copy.project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_floe_build_prints_a_line_per_node_and_the_failing_node(jaffle: ProjectCopy) -> None:
    write_file(jaffle, "models/marts/broken.sql", BROKEN_SQL)
    write_file(jaffle, "models/marts/broken.yml", DEPRECATED_TEST)
    done = _floe(jaffle, "build", "--vars", "{start_date: 2018-02-01}")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr

    starts, results = _START.findall(out), _RESULT.findall(out)
    total = int(starts[0][1])
    # Every node has its result line, numbered as dbt numbers them; each that ran has its
    # START line too (what depends on the broken model is skipped, as dbt skips it).
    assert sorted(int(index) for index, _, _ in results) == list(range(1, total + 1))
    started = {int(index) for index, _ in starts}
    assert started == {int(index) for index, _, status in results if status != "SKIP"}
    assert {status for _, _, status in results} >= {"OK", "PASS", "ERROR", "SKIP"}
    assert out.index("Running with dbt=") < out.index(" START ") < out.index("Done. PASS=")
    assert out.count("Running with dbt=") == 1
    assert out.count("Summary of encountered deprecations") == 1
    # floe's summary names the failing node with dbt's message.
    summary = out[out.index("dbt build (local) FAILED") :]
    assert "1 failing node(s):" in summary
    assert "ERROR model.jaffle_shop.broken: " in summary
    assert "raw_nowhere does not exist" in summary
    # Nothing through logging's last-resort format; no colour into a pipe.
    assert "floe_dbt_local.events" not in out + done.stderr
    assert "\x1b[" not in out
    assert done.stderr == ""
