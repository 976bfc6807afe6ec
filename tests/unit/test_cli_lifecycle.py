"""`floe seed`, `floe snapshot`, `floe build` and `--vars`, against a scripted runtime (issue 12).

The runtime (``scripted-floe``, a distribution put on sys.path) records every
call, so each test checks exactly what the command asked of it; the real
runtimes' behaviour is certified by the kit.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from floe_core.cli import main


def floe(directory: Path, *args: str, runtime: str = "scripted") -> Result:
    manifest = directory / "manifest.yaml"
    manifest.write_text(f"plugins:\n  dbt_runtime: {runtime}\n", encoding="utf-8")
    project = directory / "project"
    project.mkdir(exist_ok=True)
    (project / "profiles.yml").touch()  # a project that carries its profile (floe's default)
    command, *rest = args
    return CliRunner().invoke(
        main, [command, "--manifest", str(manifest), "--project-dir", str(project), *rest]
    )


def calls() -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = importlib.import_module("scripted_floe").CALLS
    return calls


def expected(directory: Path, command: str, **fields: Any) -> dict[str, Any]:
    project = str(directory / "project")
    return {"command": command, "project_dir": project, "profiles_dir": project, **fields}


def test_seed_passes_every_flag_and_reports_seeds(scripted_dist: Path) -> None:
    result = floe(
        scripted_dist,
        "seed",
        "-s",
        "countries+",
        "--exclude",
        "tag:big",
        "--full-refresh",
        "--target",
        "prod",
        "--vars",
        "{region: eu, since: 2024-01-01}",
    )
    assert result.exit_code == 0, result.output
    assert calls() == [
        expected(
            scripted_dist,
            "seed",
            target="prod",
            vars={"region": "eu", "since": "2024-01-01"},
            select="countries+",
            exclude="tag:big",
            full_refresh=True,
        )
    ]
    assert result.stdout.splitlines()[0] == (
        "dbt seed (scripted) succeeded: 0 model(s) run, 0 test(s) run, 0 failure(s), "
        "3 seed(s), 0 snapshot(s) in 0.25 s"
    )


def test_snapshot_and_build(scripted_dist: Path) -> None:
    snapshot = floe(scripted_dist, "snapshot", "--select", "orders_snap", "--json")
    assert snapshot.exit_code == 0, snapshot.output
    assert json.loads(snapshot.stdout)["metadata"] == {"seeds_run": 0, "snapshots_run": 2}
    build = floe(scripted_dist, "build", "--vars", '{"limit": 3}')
    assert build.exit_code == 0, build.output
    assert "4 model(s) run, 6 test(s) run, 0 failure(s), 3 seed(s), 2 snapshot(s)" in build.stdout
    assert calls() == [
        expected(
            scripted_dist, "snapshot", target="dev", vars={}, select="orders_snap", exclude=None
        ),
        expected(
            scripted_dist,
            "build",
            target="dev",
            vars={"limit": 3},
            select=None,
            exclude=None,
            full_refresh=False,
        ),
    ]


def test_snapshot_takes_no_full_refresh(scripted_dist: Path) -> None:
    result = floe(scripted_dist, "snapshot", "--full-refresh")
    assert result.exit_code == 2
    assert "No such option '--full-refresh'" in result.output
    assert calls() == []


def test_a_failed_build_exits_1(scripted_dist: Path) -> None:
    result = floe(scripted_dist, "build", "--select", "broken")
    assert result.exit_code == 1
    assert "dbt build (scripted) FAILED: 4 model(s) run, 6 test(s) run, 1 failure(s)" in (
        result.stdout
    )


@pytest.mark.parametrize("command", ["run", "test", "compile"])
def test_vars_bind_the_runtime_for_the_seven_methods(scripted_dist: Path, command: str) -> None:
    result = floe(scripted_dist, command, "--vars", "{start_date: '2024-01-01', n: [1, 2]}")
    assert result.exit_code == 0, result.output
    (call,) = calls()
    assert (call["command"], call["vars"]) == (command, {"start_date": "2024-01-01", "n": [1, 2]})


def test_without_vars_nothing_is_bound(scripted_dist: Path) -> None:
    assert floe(scripted_dist, "run", "--select", "a b+").exit_code == 0
    assert calls() == [
        expected(
            scripted_dist,
            "run",
            target="dev",
            vars={},
            select="a b+",
            exclude=None,
            full_refresh=False,
        )
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[1, 2]", "must be a YAML or JSON mapping of variable names to values"),
        ("{a: .inf}", "vars must hold JSON values only: vars.a is inf, not a finite number"),
        ("{a: 1, a: 2}", "key 'a' is given twice"),
        ("{a: [1", "not a YAML or JSON mapping: invalid YAML: "),
        ("{1: x}", "vars keys must be non-empty strings; 1 key(s) are not"),
    ],
)
def test_bad_vars_are_a_usage_error(scripted_dist: Path, value: str, message: str) -> None:
    result = floe(scripted_dist, "build", "--vars", value)
    assert result.exit_code == 2
    assert "Invalid value for '--vars'" in result.output
    assert message in result.output
    assert calls() == []


@pytest.mark.parametrize("command", ["seed", "snapshot", "build", "run", "test"])
def test_a_selector_that_is_not_one_is_refused_before_the_runtime_runs(
    scripted_dist: Path, command: str
) -> None:
    result = floe(scripted_dist, command, "--select", "x --full-refresh")
    assert result.exit_code == 2
    assert "error: select='x --full-refresh' is not a dbt selector" in result.stderr
    assert calls() == []


def test_a_bad_target_is_refused(scripted_dist: Path) -> None:
    result = floe(scripted_dist, "seed", "--target", "--prod")
    assert result.exit_code == 2
    assert "is not a profile target name" in result.stderr


@pytest.mark.parametrize(
    ("args", "needed_for"),
    [
        (("seed",), "`floe seed`"),
        (("snapshot",), "`floe snapshot`"),
        (("build", "--vars", "{a: 1}"), "`floe build`"),
        (("run", "--vars", "{a: 1}"), "`floe run --vars`"),
        (("test", "--vars", "{a: 1}"), "`floe test --vars`"),
        (("compile", "--vars", "{a: 1}"), "`floe compile --vars`"),
    ],
)
def test_a_runtime_without_the_capability_is_a_clear_error(
    scripted_dist: Path, args: tuple[str, ...], needed_for: str
) -> None:
    result = floe(scripted_dist, *args, runtime="seven")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: the dbt runtime 'seven' (WithoutLifecycle) does not have the lifecycle "
        f"capability (seed, snapshot, build and --vars), which {needed_for} needs; use a "
        "runtime that declares it (floe_core.DBTLifecycle)\n"
    )
    assert calls() == []


def test_a_runtime_without_the_capability_still_runs_the_seven_methods(
    scripted_dist: Path,
) -> None:
    result = floe(scripted_dist, "run", runtime="seven")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "dbt run (scripted) succeeded: 5 model(s) run, 0 test(s) run, 0 failure(s) in 0.25 s\n"
    )
