"""Between invocations the runtime holds no database file open (dbt-duckdb would, for good)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from floe_dbt_compliance.projects import ProjectCopy

from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# DuckDB locks a database file per process: another process can open it for
# writing only when no process holds it.
WRITE_FROM_ANOTHER_PROCESS = """
import sys, duckdb
with duckdb.connect(sys.argv[1]) as connection:
    connection.execute("create table written_elsewhere as select 1 as x")
    print(connection.execute("select count(*) from customers").fetchone()[0])
"""


def test_another_process_can_write_the_database_after_a_run(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("healthy")
    runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target, exclude="fct_orders")
    completed = subprocess.run(
        [sys.executable, "-c", WRITE_FROM_ANOTHER_PROCESS, str(copy.database_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "3"
    # And the runtime opens it again for the next call.
    again = runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)
    assert (again.models_run, again.success) == (5, True)
