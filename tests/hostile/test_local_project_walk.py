"""Hardening, row 7: the manifest-reuse fingerprint walks the project as dbt does, boundedly.

Two links to ``.`` under ``models/`` made the fingerprint walk forever while
holding the process-wide lock (plain dbt finishes). It now walks as dbt's own
``find_matching`` does (no following of directory links below a source
directory), reads only regular files (a FIFO or ``/dev/zero`` would block or
never end), and gives up past a budget, leaving the parse to dbt.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project

from floe_dbt_local import LocalDBTPlugin, reuse
from floe_dbt_local.layout import ProjectLayout
from floe_dbt_local.reuse import FingerprintBudget, project_fingerprint


def _plant_traps(directory: Path) -> None:
    """What dbt ignores but a naive walk never finishes: links to '.', a FIFO, /dev/zero."""
    (directory / "loop_a").symlink_to(".", target_is_directory=True)
    (directory / "loop_b").symlink_to(".", target_is_directory=True)
    os.mkfifo(directory / "pipe")
    (directory / "zero").symlink_to("/dev/zero")


def _fingerprint(project: Path, budget: FingerprintBudget | None = None) -> str | None:
    layout = ProjectLayout.read(project)
    if budget is None:
        return project_fingerprint(layout, project, "dev", "1.11.0")
    return project_fingerprint(layout, project, "dev", "1.11.0", budget=budget)


@pytest.fixture
def dbt_project(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    (project / "models" / "a.sql").write_text("select 1 as x")
    return project


@pytest.mark.timeout(30)
def test_the_fingerprint_of_a_project_with_traps_finishes_and_is_stable(dbt_project: Path) -> None:
    _plant_traps(dbt_project / "models")
    first = _fingerprint(dbt_project)
    assert first is not None
    assert _fingerprint(dbt_project) == first
    (dbt_project / "models" / "a.sql").write_text("select 2 as x")
    assert _fingerprint(dbt_project) != first


def test_a_link_dbt_does_not_follow_counts_by_where_it_points(
    dbt_project: Path, tmp_path: Path
) -> None:
    elsewhere, other = tmp_path / "elsewhere", tmp_path / "other"
    elsewhere.mkdir()
    other.mkdir()
    link = dbt_project / "models" / "shared"
    link.symlink_to(elsewhere, target_is_directory=True)
    before = _fingerprint(dbt_project)
    link.unlink()
    link.symlink_to(other, target_is_directory=True)
    assert _fingerprint(dbt_project) != before


def test_packages_installed_as_links_are_still_fingerprinted(
    dbt_project: Path, tmp_path: Path
) -> None:
    # `dbt deps` installs a local package as a link in dbt_packages; dbt parses it.
    package = tmp_path / "local_package"
    (package / "models").mkdir(parents=True)
    (package / "dbt_project.yml").write_text("name: local_package\n")
    (package / "models" / "m.sql").write_text("select 1 as y")
    (dbt_project / "dbt_packages").mkdir()
    (dbt_project / "dbt_packages" / "local_package").symlink_to(package, target_is_directory=True)
    before = _fingerprint(dbt_project)
    (package / "models" / "m.sql").write_text("select 2 as y")
    assert _fingerprint(dbt_project) != before


def test_past_its_budget_the_fingerprint_gives_up(dbt_project: Path) -> None:
    for index in range(5):
        (dbt_project / "models" / f"m{index}.sql").write_text("select 1 as x")
    assert _fingerprint(dbt_project, FingerprintBudget(max_files=100, max_bytes=10_000))
    assert _fingerprint(dbt_project, FingerprintBudget(max_files=8, max_bytes=10_000)) is None
    assert _fingerprint(dbt_project, FingerprintBudget(max_files=100, max_bytes=40)) is None


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_links_to_dot_under_models_neither_hang_nor_hold_the_lock(tmp_path: Path) -> None:
    copy: ProjectCopy = copy_project("healthy", tmp_path)
    _plant_traps(copy.project_dir / "models")
    runtime = LocalDBTPlugin(lock_timeout_seconds=60)
    where = (copy.project_dir, copy.profiles_dir, copy.target)

    first = runtime.run_models(*where)
    again = runtime.run_models(*where, select="customers")

    # What plain dbt does with this project: every model, nothing from the traps.
    assert (first.models_run, first.success) == (5, True)
    assert (again.models_run, again.metadata["manifest_reused"]) == (1, True)
    assert LocalDBTPlugin.invocation_lock.holder is None


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_a_project_past_the_budget_is_parsed_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_project("healthy", tmp_path)
    monkeypatch.setattr(reuse, "DEFAULT_BUDGET", FingerprintBudget(max_files=3, max_bytes=1))
    runtime = LocalDBTPlugin()
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    results = [runtime.run_models(*where, select="raw_orders") for _ in range(2)]
    assert [(r.models_run, r.metadata["manifest_reused"]) for r in results] == [
        (1, False),
        (1, False),
    ]
