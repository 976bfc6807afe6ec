"""What stops dbt from running is an exception with dbt's message, the project and the cause."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from dbt.cli.exceptions import DbtUsageException
from dbt.exceptions import DbtProfileError, DbtProjectError
from dbt_common.exceptions import DbtRuntimeError
from floe_dbt_compliance.projects import ProjectCopy

from floe_core.errors import DBTArtifactNotFoundError, DBTCompilationError, DBTExecutionError
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _rewrite_profile(copy: ProjectCopy, change: Callable[[dict[str, object]], None]) -> None:
    path = copy.profiles_dir / "profiles.yml"
    profiles = yaml.safe_load(path.read_text())
    change(profiles[copy.name]["outputs"]["dev"])
    path.write_text(yaml.safe_dump(profiles))


def test_missing_project_directory_is_an_execution_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    missing = copy.project_dir.parent / "no_such_project"
    with pytest.raises(DBTExecutionError) as raised:
        runtime.run_models(missing, copy.profiles_dir, "dev")
    assert not isinstance(raised.value, DBTCompilationError)
    assert isinstance(raised.value.__cause__, DbtUsageException)
    assert str(missing) in str(raised.value)


def test_directory_without_dbt_project_yml_is_an_execution_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    (copy.project_dir / "dbt_project.yml").unlink()
    with pytest.raises(DBTExecutionError, match=r"dbt_project\.yml") as raised:
        runtime.compile_project(copy.project_dir, copy.profiles_dir, "dev")
    assert isinstance(raised.value.__cause__, DbtProjectError)
    assert str(copy.project_dir) in str(raised.value)


def test_unknown_target_is_an_execution_error_naming_it(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    with pytest.raises(DBTExecutionError, match="no_such_target") as raised:
        runtime.run_models(copy.project_dir, copy.profiles_dir, "no_such_target")
    assert not isinstance(raised.value, DBTCompilationError)
    assert isinstance(raised.value.__cause__, DbtProfileError)


def test_profile_with_unknown_adapter_is_an_execution_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    _rewrite_profile(copy, lambda output: output.update(type="no_such_adapter"))
    with pytest.raises(DBTExecutionError, match="no_such_adapter") as raised:
        runtime.run_tests(copy.project_dir, copy.profiles_dir, "dev")
    assert not isinstance(raised.value, DBTCompilationError)
    assert isinstance(raised.value.__cause__, (DbtProfileError, DbtRuntimeError))


def test_database_that_cannot_be_opened_is_an_execution_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    copy = project("healthy")
    # A directory where the DuckDB file should be: the parse succeeds, the connection fails.
    blocked = copy.project_dir / "blocked.duckdb"
    blocked.mkdir()
    _rewrite_profile(copy, lambda output: output.update(path=str(blocked)))
    with pytest.raises(DBTExecutionError) as raised:
        runtime.run_models(copy.project_dir, copy.profiles_dir, "dev")
    assert not isinstance(raised.value, DBTCompilationError)
    assert raised.value.__cause__ is not None
    assert str(copy.project_dir) in str(raised.value)


def test_the_runtime_recovers_after_an_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy]
) -> None:
    broken, healthy = project("unparseable"), project("healthy")
    with pytest.raises(DBTCompilationError):
        runtime.run_models(broken.project_dir, broken.profiles_dir, "dev")
    result = runtime.run_models(healthy.project_dir, healthy.profiles_dir, "dev")
    assert (result.models_run, result.success) == (5, True)


def test_stale_run_results_are_never_reported_as_this_runs(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = project("healthy")
    first = runtime.run_models(copy.project_dir, copy.profiles_dir, "dev")
    assert first.models_run == 5
    # dbt now runs but writes no artifacts: the file on disk is the first run's.
    monkeypatch.setenv("DBT_WRITE_JSON", "false")
    with pytest.raises(DBTExecutionError, match="was not written by this `dbt run`") as raised:
        runtime.run_models(copy.project_dir, copy.profiles_dir, "dev", select="customers")
    assert first.metadata["invocation_id"] in str(raised.value)


def test_compile_without_written_manifest_is_a_clear_error(
    runtime: LocalDBTPlugin, project: Callable[[str], ProjectCopy], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = project("healthy")
    monkeypatch.setenv("DBT_WRITE_JSON", "false")
    with pytest.raises(DBTArtifactNotFoundError, match="DBT_WRITE_JSON"):
        runtime.compile_project(copy.project_dir, copy.profiles_dir, "dev")
