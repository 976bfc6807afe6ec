"""Every fixture project through every LocalDBTPlugin method, with the counts its README gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from dbt_common.exceptions import CompilationError, DbtRuntimeError
from floe_dbt_compliance.projects import ProjectCopy

from floe_core.errors import DBTArtifactNotFoundError, DBTCompilationError
from floe_dbt_local import LocalDBTPlugin

Counts = tuple[int, int, int, bool]
# (models_run, tests_run, failures, success), from each fixture's README.
EXPECTED: dict[str, dict[str, Counts]] = {
    "healthy": {"run": (5, 0, 0, True), "test": (0, 7, 0, True)},
    "failing_test": {"run": (2, 0, 0, True), "test": (0, 3, 1, False)},
    "sql_error": {"run": (2, 0, 1, False), "test": (0, 0, 0, True)},
}
MODELS = {"healthy": 5, "failing_test": 2, "sql_error": 3}

pytestmark = pytest.mark.integration


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_method_reports_the_documented_counts(
    name: str, project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project(name)
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    target_dir = copy.project_dir / "target"

    manifest_path = runtime.compile_project(*where)
    assert manifest_path == target_dir / "manifest.json"
    manifest = runtime.get_manifest(copy.project_dir)
    assert manifest["metadata"]["project_name"] == name
    models = [key for key in manifest["nodes"] if key.startswith("model.")]
    assert len(models) == MODELS[name]

    run = runtime.run_models(*where)
    assert (run.models_run, run.tests_run, run.failures, run.success) == EXPECTED[name]["run"]
    assert run.run_results_path == target_dir / "run_results.json"
    assert run.manifest_path == manifest_path
    run_results = runtime.get_run_results(copy.project_dir)
    assert run_results["args"]["which"] == "run"
    assert run_results["metadata"]["invocation_id"] == run.metadata["invocation_id"]

    test = runtime.run_tests(*where)
    assert (test.models_run, test.tests_run, test.failures, test.success) == EXPECTED[name]["test"]
    assert runtime.get_run_results(copy.project_dir)["args"]["which"] == "test"


@pytest.mark.timeout(120)
def test_sql_error_leaves_the_independent_model_and_skips_the_downstream_one(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    tables: Callable[[Path], set[str]],
) -> None:
    copy = project("sql_error")
    result = runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)
    statuses = {
        row["unique_id"]: row["status"]
        for row in runtime.get_run_results(copy.project_dir)["results"]
    }
    assert statuses == {
        "model.sql_error.broken": "error",
        "model.sql_error.downstream": "skipped",
        "model.sql_error.independent": "success",
    }
    assert not result.success
    assert tables(copy.database_path) == {"independent"}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["compile_project", "run_models", "run_tests"])
def test_unparseable_project_raises_compilation_error_with_dbt_message(
    method: str, project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("unparseable")
    with pytest.raises(DBTCompilationError) as raised:
        getattr(runtime, method)(copy.project_dir, copy.profiles_dir, copy.target)
    assert isinstance(raised.value.__cause__, CompilationError)
    message = str(raised.value)
    assert str(copy.project_dir) in message
    assert "broken_jinja" in message
    # Nothing ran, so there is nothing to read back.
    with pytest.raises(DBTArtifactNotFoundError, match=r"run_results\.json"):
        runtime.get_run_results(copy.project_dir)


@pytest.mark.timeout(120)
def test_target_path_of_dbt_project_yml_is_honoured(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("healthy")
    project_file = copy.project_dir / "dbt_project.yml"
    config = yaml.safe_load(project_file.read_text())
    config["target-path"] = "build/artifacts"
    project_file.write_text(yaml.safe_dump(config))
    out = copy.project_dir / "build" / "artifacts"

    assert runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target) == (
        out / "manifest.json"
    )
    result = runtime.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="customers"
    )

    assert result.run_results_path == out / "run_results.json"
    assert result.manifest_path == out / "manifest.json"
    assert (
        runtime.get_run_results(copy.project_dir)["metadata"]["invocation_id"]
        == (result.metadata["invocation_id"])
    )
    assert "model.healthy.customers" in runtime.get_manifest(copy.project_dir)["nodes"]
    assert not (copy.project_dir / "target").exists()


@pytest.mark.timeout(120)
def test_compile_error_in_one_node_is_a_compilation_error(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin
) -> None:
    copy = project("healthy")
    # Parses (execute is false while parsing) and fails when compiled.
    (copy.project_dir / "models" / "fails_to_compile.sql").write_text(
        "{{ exceptions.raise_compiler_error('probe refuses to compile') if execute }}\nselect 1"
    )
    with pytest.raises(DBTCompilationError, match="probe refuses to compile") as raised:
        runtime.compile_project(copy.project_dir, copy.profiles_dir, copy.target)
    assert "models/fails_to_compile.sql" in str(raised.value)
    assert str(copy.project_dir) in str(raised.value)
    assert isinstance(raised.value.__cause__, DbtRuntimeError)
