"""``floe compile|run|test`` through the local runtime, with click's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from floe_dbt_compliance.projects import ProjectCopy

from floe_core.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

Query = Callable[[Path, str], list[tuple[object, ...]]]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(
        "plugins:\n"
        "  dbt_runtime: local\n"
        "  dbt_runtime_config:\n"
        "    local:\n"
        "      lock_timeout_seconds: 600\n"
    )
    return path


def _floe(manifest: Path, command: str, copy: ProjectCopy, *extra: str) -> Result:
    args = [command, "--manifest", str(manifest), "--project-dir", str(copy.project_dir)]
    args += ["--profiles-dir", str(copy.profiles_dir), "--target", copy.target, *extra]
    return CliRunner().invoke(main, args)


def test_compile_prints_the_manifest_path(
    manifest: Path, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    expected = copy.project_dir / "target" / "manifest.json"
    plain = _floe(manifest, "compile", copy)
    assert plain.exit_code == 0, plain.output
    # dbt's progress first, as dbt prints it; the manifest's path last.
    assert plain.stdout.splitlines()[-1] == str(expected)
    assert "Running with dbt=" in plain.stdout
    bare = _floe(manifest, "compile", copy, "--log-level", "none")
    assert bare.stdout.strip() == str(expected)
    as_json = _floe(manifest, "compile", copy, "--json")
    assert json.loads(as_json.stdout) == {"manifest_path": str(expected)}


def test_run_and_test_print_summaries_and_json(
    manifest: Path, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    run = _floe(manifest, "run", copy)
    assert run.exit_code == 0, run.output
    assert "dbt run (local) succeeded: 5 model(s) run, 0 test(s) run, 0 failure(s)" in run.stdout
    assert str(copy.project_dir / "target" / "run_results.json") in run.stdout

    test = _floe(manifest, "test", copy, "--json")
    assert test.exit_code == 0, test.output
    result = json.loads(test.stdout)
    assert (result["tests_run"], result["failures"], result["success"]) == (7, 0, True)
    assert result["metadata"]["command"] == "test"


def test_select_exclude_and_full_refresh_reach_dbt(
    manifest: Path, project: Callable[[str], ProjectCopy], query: Query
) -> None:
    copy = project("healthy")
    excluded = _floe(manifest, "run", copy, "--exclude", "fct_orders", "--json")
    assert json.loads(excluded.stdout)["models_run"] == 4
    modes = "select distinct load_mode from fct_orders"
    assert _floe(manifest, "run", copy).exit_code == 0
    assert query(copy.database_path, modes) == [("full",)]
    assert _floe(manifest, "run", copy).exit_code == 0
    assert query(copy.database_path, modes) == [("incremental",)]

    refreshed = _floe(manifest, "run", copy, "--select", "fct_orders", "--full-refresh", "--json")
    assert json.loads(refreshed.stdout)["models_run"] == 1
    assert query(copy.database_path, modes) == [("full",)]

    selected = _floe(manifest, "test", copy, "-s", "customers", "--json")
    # unique + not_null on customer_id, the unit test of customers, and the
    # relationships test from fct_orders, which depends on customers too.
    assert json.loads(selected.stdout)["tests_run"] == 4


def test_failures_exit_1_and_errors_exit_2(
    manifest: Path, project: Callable[[str], ProjectCopy]
) -> None:
    failing, broken = project("failing_test"), project("unparseable")
    assert _floe(manifest, "run", failing).exit_code == 0
    tested = _floe(manifest, "test", failing)
    assert tested.exit_code == 1
    assert "dbt test (local) FAILED: 0 model(s) run, 3 test(s) run, 1 failure(s)" in tested.stdout

    errored = _floe(manifest, "run", broken)
    assert errored.exit_code == 2
    assert errored.stderr.startswith("error: dbt could not parse or compile the project at ")
    assert str(broken.project_dir) in errored.stderr
    assert "dbt run (local)" not in errored.stdout  # no result: dbt did not run


def test_profiles_dir_defaults_to_the_project_dir(
    manifest: Path, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    result = CliRunner().invoke(
        main,
        ["run", "--manifest", str(manifest), "--project-dir", str(copy.project_dir), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["models_run"] == 5
