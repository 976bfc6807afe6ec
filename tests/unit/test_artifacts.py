"""count_run_results against real dbt-core run_results.json files (see data/run_results)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_core.artifacts import (
    RunCounts,
    count_run_results,
    read_json_artifact,
    read_project_settings,
    target_path,
)
from floe_core.errors import DBTArtifactNotFoundError

DATA = Path(__file__).parent / "data" / "run_results"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # seed ok, bad_model error, ok_model ok, after_bad skipped, snapshot ok; unit test pass,
        # tests: warn, fail, pass, pass -> models 2, tests 5, failures: error + fail.
        ("build", RunCounts(models_run=2, tests_run=5, failures=2)),
        # error + success executed, downstream skipped is not run.
        ("run", RunCounts(models_run=2, tests_run=0, failures=1)),
        # 4 data tests (warn, fail, pass, pass) and 1 unit test; only `fail` fails.
        ("test", RunCounts(models_run=0, tests_run=5, failures=1)),
        ("seed", RunCounts(models_run=0, tests_run=0, failures=0)),
        ("snapshot", RunCounts(models_run=0, tests_run=0, failures=0)),
        ("run_select", RunCounts(models_run=1, tests_run=0, failures=0)),
    ],
)
def test_counts_from_real_run_results(name: str, expected: RunCounts) -> None:
    assert count_run_results(load(name)) == expected


def test_real_files_hold_the_statuses_the_cases_rely_on() -> None:
    statuses = {r["unique_id"].split(".")[0] + ":" + r["status"] for r in load("build")["results"]}
    assert statuses == {
        "seed:success",
        "model:error",
        "model:success",
        "model:skipped",
        "snapshot:success",
        "unit_test:pass",
        "test:warn",
        "test:fail",
        "test:pass",
    }


def test_runtime_error_and_errored_seed_count_as_failures() -> None:
    document = {
        "results": [
            {"unique_id": "seed.p.s", "status": "error"},
            {"unique_id": "test.p.t", "status": "runtime error"},
            {"unique_id": "model.p.m", "status": "Success"},
        ]
    }
    assert count_run_results(document) == RunCounts(models_run=1, tests_run=0, failures=2)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "no 'results' list"),
        ({"results": {"a": 1}}, "no 'results' list"),
        ({"results": [{"status": "success"}]}, "result #0 lacks 'unique_id' or 'status'"),
        ({"results": [None]}, "result #0 lacks"),
    ],
)
def test_malformed_documents_are_rejected(document: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        count_run_results(document)


def test_read_json_artifact(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    with pytest.raises(DBTArtifactNotFoundError, match=r"does not exist yet; run dbt compile"):
        read_json_artifact(path, what="run dbt compile")
    path.write_text("{not json")
    with pytest.raises(DBTArtifactNotFoundError, match="is not valid JSON"):
        read_json_artifact(path, what="x")
    path.write_text("[1, 2]")
    with pytest.raises(DBTArtifactNotFoundError, match="does not hold a JSON object"):
        read_json_artifact(path, what="x")
    path.write_text('{"nodes": {}}')
    assert read_json_artifact(path, what="x") == {"nodes": {}}


def test_target_path_is_resolved_as_dbt_resolves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    # No dbt_project.yml, or one dbt cannot read: dbt's default (dbt reports the file itself).
    assert target_path(project) == project / "target"
    (project / "dbt_project.yml").write_text("{ not yaml", encoding="utf-8")
    assert target_path(project) == project / "target"
    (project / "dbt_project.yml").write_text("name: p\ntarget-path: '  '\n", encoding="utf-8")
    assert target_path(project) == project / "target"
    (project / "dbt_project.yml").write_text("name: p\ntarget-path: build/out\n", encoding="utf-8")
    assert target_path(project) == project / "build" / "out"
    assert target_path(project, {"target-path": str(tmp_path / "abs")}) == tmp_path / "abs"
    # The environment wins over the file, as in dbt.
    monkeypatch.setenv("DBT_TARGET_PATH", "from_env")
    assert target_path(project) == project / "from_env"
    assert read_project_settings(project) == {"name": "p", "target-path": "build/out"}
    assert read_project_settings(tmp_path / "missing") == {}
