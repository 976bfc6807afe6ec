"""Hardening round 2, tracebacks: ``floe`` ends with its ``error:`` line, never Python's traceback.

Before the fix: ``floe seed|snapshot|build|compile|run|test`` on the ``fusion``
placeholder printed a ``NotImplementedError`` traceback and exited 1 while
``floe validate`` called the manifest valid; a non-UTF-8 byte in ``--vars``
raised ``UnicodeEncodeError``; and for an unreadable model, a read-only
``target/``, a non-UTF-8 seed, or a snapshot without ``unique_key`` or
``updated_at``, the log handler printed dbt's own Python traceback (its
``MainStackTrace`` event, an ERROR record) before the good ``error:`` line.

The dbt cases run the real console script in a subprocess: the traceback
came through the logging handler the process set up at import, which an
in-process runner never sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from floe_dbt_compliance.projects import ProjectCopy, copy_project

from floe_core.cli import main

FUSION = (
    "dbt Fusion Python bindings not yet available. "
    "Track progress: https://github.com/dbt-labs/dbt-fusion/issues/10"
)
FLOE = Path(sys.executable).parent / "floe"
# Root reads and writes anything: without these capabilities it obeys permissions.
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
WRITE_ONLY = Path("/proc/sys/vm/drop_caches")  # no one may read it, root included


@pytest.fixture
def fusion_manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text("plugins:\n  dbt_runtime: fusion\n")
    return path


@pytest.mark.parametrize("command", ["seed", "snapshot", "build", "compile", "run", "test"])
@pytest.mark.parametrize("with_vars", [False, True])
def test_a_placeholder_runtime_exits_2_with_its_message(
    fusion_manifest: Path, tmp_path: Path, command: str, with_vars: bool
) -> None:
    extra = ["--vars", "{day: 1}"] if with_vars else []
    result = CliRunner().invoke(
        main, [command, "--manifest", str(fusion_manifest), "--project-dir", str(tmp_path), *extra]
    )
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # no NotImplementedError escaped
    assert result.stderr.splitlines()[-1] == f"error: {FUSION}"
    assert "Traceback" not in result.output


def test_validate_says_a_placeholder_runs_nothing(fusion_manifest: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(fusion_manifest)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{fusion_manifest}: 1 problem(s)\n"
        "  - plugins.dbt_runtime (line 2): the dbt runtime 'fusion' is a placeholder that runs "
        f"nothing yet: {FUSION}; choose another dbt runtime\n"
    )


def test_vars_that_are_not_utf8_are_a_usage_error(fusion_manifest: Path) -> None:
    latin1 = b"{label: caf\xe9}".decode("utf-8", "surrogateescape")  # as argv gives it
    result = CliRunner().invoke(main, ["run", "--manifest", str(fusion_manifest), "--vars", latin1])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--vars': is not UTF-8 text (byte 0xe9 at character 11 cannot "
        "be decoded); give it as UTF-8 (check the encoding of the terminal, script or file it "
        "comes from)"
    )


# -- dbt's own failures, through the real console script ----------------------------


def _floe(command: str, copy: ProjectCopy, *, as_a_user: bool = False) -> tuple[int, str]:
    manifest = copy.project_dir.parent / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: local\n")
    args = [str(FLOE), command, "--manifest", str(manifest)]
    args += ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    if as_a_user and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root writes anything")
        args = [*AS_A_USER, *args]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stderr


def _unreadable(path: Path) -> None:
    if os.geteuid() != 0:
        path.chmod(0)
        return
    path.unlink()
    path.symlink_to(WRITE_ONLY)


def _latin1_seed(copy: ProjectCopy) -> Path:
    seed = copy.project_dir / "seeds" / "customers.csv"
    seed.write_bytes(seed.read_bytes() + "9,Café,north\n".encode("latin-1"))
    return seed


def _snapshot_config(old: str, new: str) -> Callable[[ProjectCopy], Path]:
    def edit(copy: ProjectCopy) -> Path:
        path = copy.project_dir / "snapshots" / "orders_snapshot.sql"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        return path

    return edit


CASES = {
    "an unreadable model": (
        "healthy",
        "run",
        lambda copy: _unreadable(copy.project_dir / "models" / "marts" / "customers.sql"),
        "error: dbt could not run `dbt run` on the project at {project}: PermissionError: "
        "[Errno 13] Permission denied: '{project}/models/marts/customers.sql'; make the file "
        "readable by the user running dbt (e.g. chmod a+r), or move it out of the project",
    ),
    "a read-only target/": (
        "healthy",
        "run",
        lambda copy: (copy.project_dir / "target").mkdir(mode=0o555),
        "error: dbt could not run `dbt run` on the project at {project}: PermissionError: "
        "[Errno 13] Permission denied: '{project}/target/partial_parse.msgpack'; dbt writes its "
        "artifacts and logs there: make {project}/target writable by the user running dbt, or "
        "point target-path and log-path (DBT_TARGET_PATH, DBT_LOG_PATH) at a directory it may "
        "write",
    ),
    "a non-UTF-8 seed": (
        "lifecycle",
        "seed",
        _latin1_seed,
        "error: dbt could not run `dbt seed` on the project at {project}: UnicodeDecodeError: "
        "'utf-8' codec can't decode byte 0xe9 in position {position}: invalid continuation "
        "byte; dbt reads every project file and profiles.yml as UTF-8: save the file written "
        "in another encoding (Latin-1, UTF-16 ...) as UTF-8",
    ),
    "a snapshot without unique_key": (
        "lifecycle",
        "snapshot",
        _snapshot_config("unique_key='id', ", ""),
        "error: dbt could not run `dbt snapshot` on the project at {project}: ValidationError: "
        "Snapshots must be configured with a 'strategy' and 'unique_key'.",
    ),
    "a snapshot without updated_at": (
        "lifecycle",
        "snapshot",
        _snapshot_config("strategy='check', check_cols=['status']", "strategy='timestamp'"),
        "error: dbt could not run `dbt snapshot` on the project at {project}: ValidationError: "
        "A snapshot configured with the timestamp strategy must specify an updated_at "
        "configuration.",
    ),
}


@pytest.mark.integration
@pytest.mark.timeout(400)
@pytest.mark.parametrize("case", sorted(CASES))
def test_dbt_failures_end_with_the_error_line_and_no_traceback(tmp_path: Path, case: str) -> None:
    fixture, command, break_it, expected = CASES[case]
    if case == "an unreadable model" and os.geteuid() == 0 and not WRITE_ONLY.exists():
        pytest.skip(f"running as root and {WRITE_ONLY} is absent: no file is unreadable here")
    copy = copy_project(fixture, tmp_path)
    broken = break_it(copy)
    position = ""
    if isinstance(broken, Path) and broken.suffix == ".csv":
        position = str(broken.read_bytes().index(b"\xe9"))
    code, stderr = _floe(command, copy, as_a_user=case == "a read-only target/")
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == expected.format(project=copy.project_dir, position=position)
