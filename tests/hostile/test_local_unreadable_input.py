"""Hardening, row 8 (local runtime): input dbt cannot read gets a clear error, not a traceback.

Before the fix: a ``dbt_project.yml`` that is not UTF-8 (or is UTF-16) gave a
bare ``UnicodeDecodeError``; a ``project_dir`` or ``profiles_dir`` that is a
file gave ``NotADirectoryError`` from the manifest-reuse fingerprint; a
model file the process cannot read gave ``PermissionError`` from the same
place. Each is now the contract's error (:class:`DBTExecutionError`, which
is what dbt's own failure maps to) saying what is wrong, where, and the fix,
raised before the invocation waits for the process-wide lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTExecutionError,
)
from floe_dbt_local import LocalDBTPlugin

# Write-only for everyone, root included: a file no process can read.
WRITE_ONLY = Path("/proc/sys/vm/drop_caches")


@pytest.fixture
def healthy(tmp_path: Path) -> ProjectCopy:
    return copy_project("healthy", tmp_path)


@pytest.fixture
def held_lock() -> Iterator[None]:
    """Hold the process-wide lock in this thread: a check made under it would fail as nested."""
    with LocalDBTPlugin.invocation_lock.hold("run", Path("/elsewhere"), timeout_seconds=5):
        yield


def _quick() -> LocalDBTPlugin:
    return LocalDBTPlugin(lock_timeout_seconds=0.05)


@pytest.mark.usefixtures("held_lock")
def test_a_latin_1_project_file_is_named_with_the_byte_and_the_fix(healthy: ProjectCopy) -> None:
    project_file = healthy.project_dir / "dbt_project.yml"
    project_file.write_bytes(b"# caf\xe9\n" + project_file.read_bytes())
    with pytest.raises(DBTExecutionError) as raised:
        _quick().run_models(healthy.project_dir, healthy.profiles_dir, "dev")
    assert str(raised.value) == (
        f"cannot run `dbt run`: {project_file} is not UTF-8 text (byte 0xe9 at offset 5), "
        "and dbt reads it as UTF-8 only; save it as UTF-8"
    )
    assert isinstance(raised.value.__cause__, UnicodeDecodeError)


@pytest.mark.usefixtures("held_lock")
def test_a_utf_16_project_file_is_called_utf_16(healthy: ProjectCopy) -> None:
    project_file = healthy.project_dir / "dbt_project.yml"
    project_file.write_bytes(project_file.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(DBTExecutionError, match="is UTF-16 text") as raised:
        _quick().build(healthy.project_dir, healthy.profiles_dir, "dev")
    assert str(project_file) in str(raised.value)
    assert str(raised.value).endswith("save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")


@pytest.mark.usefixtures("held_lock")
def test_a_profiles_file_that_is_not_utf_8_is_refused_too(healthy: ProjectCopy) -> None:
    profiles = healthy.profiles_dir / "profiles.yml"
    profiles.write_bytes(profiles.read_bytes().replace(b"threads", b"\xff\xfethreads"))
    with pytest.raises(DBTExecutionError, match=r"profiles\.yml is not UTF-8 text \(byte 0xff"):
        _quick().compile_project(healthy.project_dir, healthy.profiles_dir, "dev")


@pytest.mark.usefixtures("held_lock")
def test_a_project_file_that_is_a_fifo_is_refused_not_read(healthy: ProjectCopy) -> None:
    project_file = healthy.project_dir / "dbt_project.yml"
    project_file.unlink()
    os.mkfifo(project_file)  # dbt would block reading it, forever
    with pytest.raises(DBTExecutionError, match="is not a regular file"):
        _quick().seed(healthy.project_dir, healthy.profiles_dir, "dev")


@pytest.mark.usefixtures("held_lock")
def test_a_project_dir_that_is_a_file_names_the_directory_to_pass(healthy: ProjectCopy) -> None:
    project_file = healthy.project_dir / "dbt_project.yml"
    with pytest.raises(DBTExecutionError) as raised:
        _quick().compile_project(project_file, healthy.profiles_dir, "dev")
    assert str(raised.value) == (
        f"cannot run `dbt compile`: project_dir {project_file} is a file, not a directory; "
        f"pass the directory that holds dbt_project.yml (here: project_dir={healthy.project_dir})"
    )
    with pytest.raises(DBTArtifactNotFoundError, match=r"^cannot read manifest\.json: project_dir"):
        _quick().get_manifest(project_file)
    with pytest.raises(DBTArtifactNotFoundError, match=r"^cannot read run_results\.json"):
        _quick().get_run_results(project_file)


@pytest.mark.usefixtures("held_lock")
def test_a_profiles_dir_that_is_a_file_is_refused(healthy: ProjectCopy) -> None:
    profiles_file = healthy.profiles_dir / "profiles.yml"
    with pytest.raises(DBTExecutionError) as raised:
        _quick().snapshot(healthy.project_dir, profiles_file, "dev")
    assert str(raised.value) == (
        f"cannot run `dbt snapshot`: profiles_dir {profiles_file} is a file, not a directory; "
        f"pass the directory that holds profiles.yml (here: profiles_dir={healthy.profiles_dir})"
    )


@pytest.mark.usefixtures("held_lock")
@pytest.mark.parametrize(
    ("project_dir", "message"),
    [
        (Path("proj\x00ect"), "project_dir holds a NUL character: it cannot be a path"),
        (42, "project_dir must be a path (str or os.PathLike), got int"),
        (b"/bytes/path", "project_dir must be a path (str or os.PathLike), got bytes"),
    ],
)
def test_a_project_dir_that_is_no_path_at_all_is_a_configuration_error(
    healthy: ProjectCopy, project_dir: object, message: str
) -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        _quick().run_tests(project_dir, healthy.profiles_dir, "dev")  # type: ignore[arg-type]
    assert str(raised.value) == message


def _make_unreadable(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0)
        return
    if not WRITE_ONLY.exists():
        pytest.skip(f"running as root and {WRITE_ONLY} is absent: no file is unreadable here")
    # Root reads any mode-000 file; a write-only procfs file it cannot.
    path.unlink()
    path.symlink_to(WRITE_ONLY)


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_an_unreadable_model_file_is_named_with_the_fix(healthy: ProjectCopy) -> None:
    model = healthy.project_dir / "models" / "marts" / "customers.sql"
    _make_unreadable(model)
    runtime = LocalDBTPlugin()  # manifest reuse on: the fingerprint reads the project first
    with pytest.raises(DBTExecutionError) as raised:
        runtime.run_models(healthy.project_dir, healthy.profiles_dir, "dev")
    message = str(raised.value)
    assert message.startswith(
        f"dbt could not run `dbt run` on the project at {healthy.project_dir}: PermissionError: "
    )
    assert str(model) in message
    assert message.endswith(
        "; make the file readable by the user running dbt (e.g. chmod a+r), "
        "or move it out of the project"
    )
    assert isinstance(raised.value.__cause__, PermissionError)
    assert LocalDBTPlugin.invocation_lock.holder is None


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_an_unreadable_file_dbt_never_reads_changes_nothing(healthy: ProjectCopy) -> None:
    notes = healthy.project_dir / "models" / "notes.txt"
    notes.write_text("not a model")
    _make_unreadable(notes)
    result = LocalDBTPlugin().run_models(healthy.project_dir, healthy.profiles_dir, "dev")
    assert (result.models_run, result.success) == (5, True)


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_project_file_nested_past_the_recursion_limit_is_dbts_compilation_error(
    healthy: ProjectCopy,
) -> None:
    project_file = healthy.project_dir / "dbt_project.yml"
    depth = 100_000
    deep = "\nvars:\n  deep: " + "[" * depth + "]" * depth + "\n"
    project_file.write_text(project_file.read_text(encoding="utf-8") + deep, encoding="utf-8")
    # Plain dbt reports a YAML syntax error (DbtValidationError): the same here, no RecursionError.
    with pytest.raises(DBTCompilationError, match="Syntax error"):
        LocalDBTPlugin().run_models(healthy.project_dir, healthy.profiles_dir, "dev")
