"""Bringing a project up from an empty warehouse: through a runtime, and with plain dbt.

Both sides run the same three steps, ``seed`` -> ``snapshot`` ->
``build --vars``, so the warehouses they leave can be compared relation by
relation, row by row.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from floe_dbt_compliance.projects import ProjectCopy

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.selectors import vars_argument

__all__ = [
    "BUILD_VARS",
    "BroughtUp",
    "bring_up_through",
    "bring_up_with_dbt_cli",
    "lifecycle_counts",
]

# Orders from February on: the marts then differ from the project's defaults.
BUILD_VARS: Mapping[str, Any] = {"start_date": "2018-02-01"}


class BroughtUp(NamedTuple):
    """What each step of a bring-up returned."""

    seed: DBTRunResult
    snapshot: DBTRunResult
    build: DBTRunResult


def lifecycle_counts(result: DBTRunResult) -> tuple[bool, int, int, int, int, int]:
    """``(success, models_run, tests_run, failures, seeds_run, snapshots_run)``."""
    return (
        result.success,
        result.models_run,
        result.tests_run,
        result.failures,
        result.metadata["seeds_run"],
        result.metadata["snapshots_run"],
    )


def bring_up_through(
    runtime: DBTLifecycle, copy: ProjectCopy, vars: Mapping[str, Any] = BUILD_VARS
) -> BroughtUp:
    """``seed`` -> ``snapshot`` -> ``build(vars=...)`` through a runtime with the capability."""
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    return BroughtUp(
        runtime.seed(*where), runtime.snapshot(*where), runtime.build(*where, vars=vars)
    )


def bring_up_with_dbt_cli(copy: ProjectCopy, vars: Mapping[str, Any] = BUILD_VARS) -> None:
    """The same steps with the ``dbt`` command, each a process of its own, as a person runs them.

    Raises:
        AssertionError: A step failed (its output is in the message).
    """
    dbt = Path(sys.executable).with_name("dbt")
    executable = str(dbt) if dbt.is_file() else shutil.which("dbt")
    assert executable, "the dbt command is not installed next to this Python"
    where = ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    rendered = vars_argument(vars)
    assert rendered is not None
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for step in (["seed"], ["snapshot"], ["build", "--vars", rendered]):
        completed = subprocess.run(
            [executable, *step, *where, "--target", copy.target],
            cwd=copy.project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert completed.returncode == 0, f"dbt {step[0]} failed:\n{completed.stdout}"
