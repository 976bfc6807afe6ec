"""``floe ... -x`` and slim CI (``--state``, ``--defer``) on the local runtime, beside plain dbt.

Plain dbt-core runs the same command on another copy of the same project
(``dbt`` in a subprocess, no floe code): the nodes and their statuses in
``run_results.json`` must be the same, and so must what the command leaves
in the warehouse where dbt's own outcome is deterministic.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from opentelemetry.sdk.trace import ReadableSpan

from floe_core.cli import main
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DBT = Path(sys.executable).with_name("dbt")
EDITED_ORDERS = "select id, amount, amount * 2 as doubled from {{ ref('raw_orders') }}\n"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text("plugins:\n  dbt_runtime: local\n")
    return path


def _floe(manifest: Path, copy: ProjectCopy, *args: str) -> Result:
    where = ["--manifest", str(manifest), "--project-dir", str(copy.project_dir)]
    where += ["--profiles-dir", str(copy.profiles_dir)]
    return CliRunner().invoke(main, [args[0], *where, *args[1:]])


def _dbt(copy: ProjectCopy, *args: str) -> int:
    where = ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    done = subprocess.run(
        [str(DBT), args[0], *where, "--quiet", *args[1:]],
        cwd=copy.project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode


def _statuses(copy: ProjectCopy) -> dict[str, str]:
    document = json.loads((copy.project_dir / "target" / "run_results.json").read_text())
    return {result["unique_id"]: result["status"] for result in document["results"]}


def test_floe_build_x_stops_at_the_first_failure_as_dbt_build_x(
    manifest: Path, tmp_path: Path
) -> None:
    floe_copy = copy_project("lifecycle", tmp_path / "floe")
    dbt_copy = copy_project("lifecycle", tmp_path / "dbt")
    assert _dbt(dbt_copy, "build", "-x") == 1
    expected = _statuses(dbt_copy)
    stopped = _floe(manifest, floe_copy, "build", "-x")
    assert stopped.exit_code == 1, stopped.output
    assert _statuses(floe_copy) == expected
    # The seed with a bad row fails first; every node that did not finish is skipped.
    assert expected["seed.lifecycle.bad_amounts"] == "error"
    assert sorted(set(expected.values())) == ["error", "skipped", "success"]
    assert "fail_fast" not in json.dumps(expected)  # statuses only, not dbt's messages
    whole = _floe(manifest, floe_copy, "build", "--json")
    assert whole.exit_code == 1
    assert json.loads(whole.stdout)["tests_run"] == 5  # without -x the tests run
    assert _statuses(floe_copy) != expected


def _prod_state(copy: ProjectCopy, run: int) -> Path:
    """Build prod, keep its manifest as the state, then edit one model (as a PR would)."""
    assert run == 0
    state = copy.project_dir.parent / "prod-state"
    state.mkdir()
    shutil.copy(copy.project_dir / "target" / "manifest.json", state / "manifest.json")
    (copy.project_dir / "models" / "orders.sql").write_text(EDITED_ORDERS)
    return state


def test_floe_slim_ci_runs_what_dbt_runs(manifest: Path, tmp_path: Path) -> None:
    floe_copy = copy_project("slim_ci", tmp_path / "floe")
    dbt_copy = copy_project("slim_ci", tmp_path / "dbt")
    floe_state = _prod_state(
        floe_copy, _floe(manifest, floe_copy, "run", "--target", "prod").exit_code
    )
    dbt_state = _prod_state(dbt_copy, _dbt(dbt_copy, "run", "--target", "prod"))
    slim = ("build", "--select", "state:modified+")

    # Without --defer, orders' parent was never built on dev: orders fails.
    assert _dbt(dbt_copy, *slim, "--state", str(dbt_state)) == 1
    undeferred = _floe(manifest, floe_copy, *slim, "--state", str(floe_state))
    assert undeferred.exit_code == 1, undeferred.output
    assert _statuses(floe_copy) == _statuses(dbt_copy)
    assert _statuses(dbt_copy)["model.slim_ci.orders"] == "error"

    assert _dbt(dbt_copy, *slim, "--defer", "--state", str(dbt_state)) == 0
    deferred = _floe(manifest, floe_copy, *slim, "--defer", "--state", str(floe_state))
    assert deferred.exit_code == 0, deferred.output
    expected = _statuses(dbt_copy)
    assert _statuses(floe_copy) == expected
    # The modified model, its child and their tests; never the unmodified customers.
    assert {key.split(".")[0] + "." + key.split(".")[2] for key in expected} == {
        "model.orders",
        "model.big_orders",
        "test.not_null_orders_id",
        "test.unique_orders_id",
    }
    assert set(expected.values()) == {"success", "pass"}


def test_defer_without_state_is_a_usage_error(manifest: Path, tmp_path: Path) -> None:
    copy = copy_project("slim_ci", tmp_path)
    refused = _floe(manifest, copy, "run", "--defer")
    assert refused.exit_code == 2
    assert "--defer needs --state" in refused.output
    assert not (copy.project_dir / "target").exists()  # refused before dbt ran


def test_a_bound_runtime_passes_its_flags_and_the_original_none(
    runtime: LocalDBTPlugin, tmp_path: Path, spans: Callable[[], list[ReadableSpan]]
) -> None:
    copy = copy_project("sql_error", tmp_path)
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    fast = runtime.with_fail_fast()
    assert type(fast) is LocalDBTPlugin
    assert repr(fast).endswith("flags=['fail_fast'])")
    assert (fast.get_runtime_metadata()["bound_flags"], repr(runtime).find("flags")) == (
        ["fail_fast"],
        -1,
    )
    stopped = fast.run_models(*where)
    # A stop is a failed result: the failing model counted, the skipped ones not run.
    assert (stopped.success, stopped.models_run, stopped.failures) == (False, 1, 1)
    assert set(_statuses(copy).values()) == {"error", "skipped"}
    whole = runtime.run_models(*where)
    assert (whole.models_run, _statuses(copy)["model.sql_error.independent"]) == (2, "success")
    first, second = (span.attributes or {} for span in spans()[-2:])
    assert first["floe.dbt.fail_fast"] is True
    assert "floe.dbt.fail_fast" not in second
    assert fast.with_fail_fast(False).get_runtime_metadata()["bound_flags"] == []
