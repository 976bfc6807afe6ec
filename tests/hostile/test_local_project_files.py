"""Hardening round 2, hangs (local runtime): files dbt would hang on are refused before dbt runs.

Before the fix: a FIFO named ``seeds/orders.csv`` made dbt wait forever for a
writer, and a link to ``/dev/zero`` made it read until memory ran out, both
while the process-wide invocation lock was held, so every other invocation
of the process waited too. The runtime now looks at the type of every file
dbt reads (``stat``: nothing is opened) before it waits for the lock, and
again once it holds it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_core.errors import DBTExecutionError
from floe_dbt_local import LocalDBTPlugin, plugin
from floe_dbt_local.layout import ProjectLayout
from floe_dbt_local.project_files import DBT_READS, check_project_files

HOLDER = Path("/elsewhere")
SUFFIXES = ".csv, .md, .py, .sql, .yaml and .yml"


def refusal(command: str, path: Path, kind: str) -> str:
    return (
        f"cannot run `dbt {command}`: {path} is {kind}, not a regular file, and dbt would "
        "wait on it or read it without end while every other dbt invocation of this process "
        "waits; replace it with a regular file or move it out of the project (dbt reads "
        f"every {SUFFIXES} file under the project's paths)"
    )


TRAPS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (os.mkfifo, "a FIFO (named pipe)"),
    "dev-zero": (lambda path: path.symlink_to("/dev/zero"), "a character device"),
}


@pytest.fixture
def lifecycle(tmp_path: Path) -> ProjectCopy:
    return copy_project("lifecycle", tmp_path)


@pytest.fixture
def held_lock() -> Iterator[None]:
    """Hold the process-wide lock in this thread: a check made under it would fail as nested."""
    with LocalDBTPlugin.invocation_lock.hold("run", HOLDER, timeout_seconds=5):
        yield


def _quick() -> LocalDBTPlugin:
    return LocalDBTPlugin(lock_timeout_seconds=0.05)


@pytest.mark.usefixtures("held_lock")
@pytest.mark.parametrize("trap", sorted(TRAPS))
@pytest.mark.parametrize(
    ("relative", "command"),
    [
        ("seeds/orders.csv", "seed"),
        ("models/staging/stg_orders.sql", "run"),
        ("models/schema.yml", "test"),
        ("snapshots/orders_snapshot.sql", "snapshot"),
        ("macros/cents.sql", "build"),
        ("packages.yml", "compile"),
    ],
)
def test_a_file_dbt_would_hang_on_is_refused_before_the_lock(
    lifecycle: ProjectCopy, trap: str, relative: str, command: str
) -> None:
    make, kind = TRAPS[trap]
    path = lifecycle.project_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    make(path)
    runtime = _quick()
    call = {
        "seed": runtime.seed,
        "run": runtime.run_models,
        "test": runtime.run_tests,
        "snapshot": runtime.snapshot,
        "build": runtime.build,
    }.get(command, runtime.compile_project)
    with pytest.raises(DBTExecutionError) as raised:
        call(lifecycle.project_dir, lifecycle.profiles_dir, "dev")
    assert str(raised.value) == refusal(command, path, kind)


@pytest.mark.usefixtures("held_lock")
def test_a_fifo_dbt_never_reads_is_left_alone(lifecycle: ProjectCopy) -> None:
    os.mkfifo(lifecycle.project_dir / "models" / "notes.txt")
    os.mkfifo(lifecycle.project_dir / "README.pipe")
    # Past the check: what stops it is the lock this thread holds.
    with pytest.raises(DBTExecutionError, match="dbt-core invocations cannot be nested"):
        _quick().seed(lifecycle.project_dir, lifecycle.profiles_dir, "dev")


def test_a_fifo_made_while_waiting_for_the_lock_is_refused_under_it(
    lifecycle: ProjectCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = lifecycle.project_dir / "seeds" / "orders.csv"
    checked = plugin.project_layout
    calls: list[str] = []

    def check_then_swap(command: str, project_dir: Path) -> ProjectLayout:
        calls.append(command)
        layout = checked(command, project_dir)
        if len(calls) == 1:  # the check before the lock passed: swap a FIFO in
            seed.unlink()
            os.mkfifo(seed)
        return layout

    monkeypatch.setattr(plugin, "project_layout", check_then_swap)
    with pytest.raises(DBTExecutionError) as raised:
        LocalDBTPlugin().seed(lifecycle.project_dir, lifecycle.profiles_dir, "dev")
    assert str(raised.value) == refusal("seed", seed, "a FIFO (named pipe)")
    assert calls == ["seed", "seed"]
    assert LocalDBTPlugin.invocation_lock.holder is None


# -- any file dbt reads, anywhere under the source directories ----------------------

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)
_SOURCE_DIRS = ("models", "seeds", "macros", "snapshots", "tests", "analyses")


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    directory=st.sampled_from(_SOURCE_DIRS),
    nested=st.lists(_NAME, max_size=3),
    stem=_NAME,
    suffix=st.sampled_from(sorted(DBT_READS | {".txt", ".json", ".sql.bak", ""})),
    trap=st.sampled_from(sorted(TRAPS)),
)
def test_the_check_refuses_exactly_what_dbt_would_read(
    directory: str, nested: list[str], stem: str, suffix: str, trap: str
) -> None:
    make, kind = TRAPS[trap]
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        (project / "dbt_project.yml").write_text("name: p\nprofile: p\n")
        folder = project.joinpath(directory, *nested)
        folder.mkdir(parents=True)
        (folder / "ok.sql").write_text("select 1")
        path = folder / f"{stem}{suffix}"
        make(path)
        layout = ProjectLayout.read(project)
        if suffix in DBT_READS:
            with pytest.raises(DBTExecutionError) as raised:
                check_project_files(layout, "build")
            assert str(raised.value) == refusal("build", path, kind)
        else:
            check_project_files(layout, "build")
