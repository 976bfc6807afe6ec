"""The dbt projects the kit ships, and fresh copies of them for each test.

In a wheel the projects live in ``floe_dbt_compliance/fixtures``; in a source
checkout (editable install) they are the repository's ``fixtures/``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["FIXTURE_PROJECTS", "ProjectCopy", "copy_project", "fixtures_root"]

FIXTURE_PROJECTS = ("healthy", "failing_test", "sql_error", "unparseable")
_IGNORED = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", ".user.yml")


def fixtures_root() -> Path:
    """Return the directory that holds the fixture projects.

    Raises:
        FileNotFoundError: Neither the packaged nor the source-tree copy exists.
    """
    packaged = Path(__file__).parent / "fixtures"
    source_tree = Path(__file__).resolve().parents[2] / "fixtures"
    for candidate in (packaged, source_tree):
        if (candidate / "healthy" / "dbt_project.yml").is_file():
            return candidate
    raise FileNotFoundError(
        f"the kit's fixture projects are missing (looked in {packaged} and {source_tree}); "
        "reinstall floe-dbt"
    )


@dataclass(frozen=True)
class ProjectCopy:
    """A private copy of a fixture project, ready for dbt."""

    name: str
    project_dir: Path
    profiles_dir: Path
    target: str = "dev"

    @property
    def database_path(self) -> Path:
        """The DuckDB file this copy's profile writes to."""
        return self.project_dir / f"{self.name}.duckdb"


def copy_project(name: str, destination: Path) -> ProjectCopy:
    """Copy a fixture project and point its DuckDB profile at a file inside the copy.

    dbt-duckdb resolves a relative ``path`` against the process's working
    directory, which threads and copies share; an absolute path keeps every
    copy on its own database file.

    Args:
        name: One of :data:`FIXTURE_PROJECTS`.
        destination: A directory to create the copy in (``destination/name``).

    Returns:
        Where the copy and its profile are.

    Raises:
        ValueError: ``name`` is not a fixture project.
    """
    if name not in FIXTURE_PROJECTS:
        raise ValueError(f"unknown fixture project {name!r}; choose one of {FIXTURE_PROJECTS}")
    project_dir = destination / name
    shutil.copytree(fixtures_root() / name, project_dir, ignore=_IGNORED)
    profiles_path = project_dir / "profiles.yml"
    profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
    copy = ProjectCopy(name, project_dir.resolve(), project_dir.resolve())
    for output in profiles[name]["outputs"].values():
        output["path"] = str(copy.database_path)
    profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
    return copy
