"""The public dbt-core helper (``floe_dbt_local.dbt_errors``) on results real ``dbtRunner`` returns.

Each branch is fed what dbt-core itself returned for a real project (no hand-
made exception objects, except where the docstring examples show the API):
a parse error, an unknown profile, a failing model, a node that fails to
compile, a file dbt cannot decode or read, and success.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult
from floe_dbt_compliance.projects import ProjectCopy, copy_project

from floe_core.errors import DBTCompilationError, DBTExecutionError
from floe_dbt_local.adapters import release_adapters
from floe_dbt_local.dbt_errors import (
    COMPILATION_EXCEPTIONS,
    node_errors,
    raise_for_dbt_result,
    wrap_dbt_exception,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

LIFECYCLE_AND_RUN_COMMANDS = ["run", "test", "seed", "snapshot", "build"]
COMPILE_FAILS = (
    '{% if execute %}{{ exceptions.raise_compiler_error("boom at compile") }}{% endif %}\n'
    "select 1 as x\n"
)


def _invoke(command: str, copy: ProjectCopy, *extra: str) -> dbtRunnerResult:
    """Plain dbt-core, as a vendor's runtime would call it."""
    where = ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    try:
        return dbtRunner().invoke([command, *where, "--log-level", "none", *extra])
    finally:
        release_adapters()


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProjectCopy]:
    root = tmp_path_factory.mktemp("dbt_errors")
    copies = {name: copy_project(name, root) for name in ("healthy", "sql_error", "unparseable")}
    (copies["healthy"].project_dir / "models" / "compile_fails.sql").write_text(COMPILE_FAILS)
    return copies


def test_a_project_that_does_not_parse_is_a_compilation_error(
    projects: dict[str, ProjectCopy],
) -> None:
    copy = projects["unparseable"]
    outcome = _invoke("parse", copy)
    assert isinstance(outcome.exception, COMPILATION_EXCEPTIONS)
    for command in ["compile", *LIFECYCLE_AND_RUN_COMMANDS]:
        with pytest.raises(DBTCompilationError) as raised:
            raise_for_dbt_result(outcome, command=command, project_dir=copy.project_dir)
        message = str(raised.value)
        assert message.startswith(
            f"dbt could not parse or compile the project at {copy.project_dir} (dbt {command}): "
        )
        assert raised.value.__cause__ is outcome.exception


def test_an_unknown_profile_is_an_execution_error(projects: dict[str, ProjectCopy]) -> None:
    copy = projects["healthy"]
    outcome = _invoke("run", copy, "--profile", "no_such_profile")
    assert outcome.exception is not None
    with pytest.raises(DBTExecutionError) as raised:
        raise_for_dbt_result(outcome, command="run", project_dir=copy.project_dir)
    assert not isinstance(raised.value, DBTCompilationError)
    assert str(raised.value).startswith(
        f"dbt could not run `dbt run` on the project at {copy.project_dir}: DbtProjectError: "
    )
    assert "no_such_profile" in str(raised.value)
    assert raised.value.__cause__ is outcome.exception


def test_a_failing_model_is_a_result_not_an_error(projects: dict[str, ProjectCopy]) -> None:
    copy = projects["sql_error"]
    outcome = _invoke("run", copy)
    assert (outcome.success, outcome.exception) == (False, None)
    for command in LIFECYCLE_AND_RUN_COMMANDS:
        assert raise_for_dbt_result(outcome, command=command, project_dir=copy.project_dir) is None
    failed = node_errors(outcome)
    assert failed.startswith("model.sql_error.broken: ")
    assert ";" not in failed  # only the model that failed; `downstream` was skipped
    # compile has no result to carry failed nodes: the same outcome raises, naming them.
    with pytest.raises(DBTCompilationError) as raised:
        raise_for_dbt_result(outcome, command="compile", project_dir=copy.project_dir)
    assert str(raised.value) == (
        f"dbt could not compile the project at {copy.project_dir}: {failed}"
    )


def test_a_node_that_fails_to_compile(projects: dict[str, ProjectCopy]) -> None:
    copy = projects["healthy"]
    outcome = _invoke("compile", copy)
    assert type(outcome.exception).__name__ == "DbtRuntimeError"
    with pytest.raises(DBTCompilationError, match="boom at compile") as raised:
        raise_for_dbt_result(outcome, command="compile", project_dir=copy.project_dir)
    assert raised.value.__cause__ is outcome.exception
    # Outside `dbt compile`, a plain DbtRuntimeError is dbt failing to run.
    assert (
        type(wrap_dbt_exception(outcome.exception, command="run", project_dir=copy.project_dir))
        is DBTExecutionError
    )
    # `dbt run` reports the same node as a failed result instead.
    run = _invoke("run", copy, "--select", "compile_fails")
    assert (run.success, run.exception) == (False, None)
    assert node_errors(run).startswith("model.healthy.compile_fails: Compilation Error")


def test_success_raises_nothing(projects: dict[str, ProjectCopy]) -> None:
    copy = projects["sql_error"]
    outcome = _invoke("compile", copy)
    assert (outcome.success, outcome.exception) == (True, None)
    assert raise_for_dbt_result(outcome, command="compile", project_dir=copy.project_dir) is None
    assert node_errors(outcome) == "dbt reported failure without a node error"


def test_a_project_file_dbt_cannot_decode_gets_the_fix(tmp_path: Path) -> None:
    copy = copy_project("healthy", tmp_path)
    project_file = copy.project_dir / "dbt_project.yml"
    project_file.write_bytes(b"# caf\xe9\n" + project_file.read_bytes())
    outcome = _invoke("parse", copy)
    assert isinstance(outcome.exception, UnicodeDecodeError)
    error = wrap_dbt_exception(outcome.exception, command="parse", project_dir=copy.project_dir)
    assert type(error) is DBTExecutionError
    assert str(error).endswith(
        "; dbt reads every project file and profiles.yml as UTF-8: save the file "
        "written in another encoding (Latin-1, UTF-16 ...) as UTF-8"
    )


def test_a_file_dbt_cannot_read_gets_the_fix(tmp_path: Path) -> None:
    copy = copy_project("healthy", tmp_path)
    model = copy.project_dir / "models" / "marts" / "customers.sql"
    write_only = Path("/proc/sys/vm/drop_caches")
    if os.geteuid() != 0:
        model.chmod(0)
    elif write_only.exists():
        model.unlink()
        model.symlink_to(write_only)
    else:
        pytest.skip(f"running as root and {write_only} is absent: no file is unreadable here")
    outcome = _invoke("parse", copy)
    assert isinstance(outcome.exception, PermissionError)
    error = wrap_dbt_exception(outcome.exception, command="run", project_dir=copy.project_dir)
    assert type(error) is DBTExecutionError
    assert str(model) in str(error)
    assert str(error).endswith("(e.g. chmod a+r), or move it out of the project")
