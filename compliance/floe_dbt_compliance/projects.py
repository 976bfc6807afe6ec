"""The dbt projects the kit ships, fresh copies of any dbt project, and their fingerprints.

The fixture projects live in ``floe_dbt_compliance/fixtures`` (in the source
tree and in the wheel alike). The kit never runs a project in place: every
check, on the runtime under test and on the reference, gets its own copy,
whose DuckDB profile points at a file inside the copy.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "FIXTURE_PROJECTS",
    "ProjectCopy",
    "copy_project",
    "copy_tree",
    "fixture_dir",
    "fixtures_root",
    "project_fingerprint",
]

FIXTURE_PROJECTS = (
    "healthy",
    "failing_test",
    "sql_error",
    "unparseable",
    "test_outcomes",
    "compile_error",
    "bad_profile",
    "lifecycle",
    "ephemeral",
    "packaged",
)
_IGNORED_NAMES = ("target", "logs", "dbt_packages", ".user.yml")
_IGNORED_SUFFIXES = (".duckdb", ".duckdb.wal")
_IGNORED = shutil.ignore_patterns(*_IGNORED_NAMES, *(f"*{s}" for s in _IGNORED_SUFFIXES))


def fixtures_root() -> Path:
    """Return the directory that holds the fixture projects.

    Raises:
        FileNotFoundError: The package was installed without them.
    """
    root = Path(__file__).resolve().parent / "fixtures"
    if not (root / "healthy" / "dbt_project.yml").is_file():
        raise FileNotFoundError(
            f"the kit's fixture projects are missing from {root}; reinstall floe-dbt"
        )
    return root


def fixture_dir(name: str) -> Path:
    """The source directory of a fixture project.

    Raises:
        ValueError: ``name`` is not a fixture project.
    """
    if name not in FIXTURE_PROJECTS:
        raise ValueError(f"unknown fixture project {name!r}; choose one of {FIXTURE_PROJECTS}")
    return fixtures_root() / name


@dataclass(frozen=True)
class ProjectCopy:
    """A private copy of a dbt project, ready for dbt.

    Attributes:
        name: The dbt project's name (``name:`` in ``dbt_project.yml``).
        project_dir: The copy.
        profiles_dir: Where its ``profiles.yml`` is (the copy itself).
        target: The profile target.
    """

    name: str
    project_dir: Path
    profiles_dir: Path
    target: str = "dev"

    @property
    def database_path(self) -> Path:
        """The DuckDB file this copy's profile writes to."""
        return self.project_dir / f"{self.name}.duckdb"


def _project_name(project_dir: Path) -> str:
    document = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return str(document["name"])


def copy_tree(source: Path, destination: Path) -> ProjectCopy:
    """Copy any dbt project and point its DuckDB profiles at a file inside the copy.

    dbt-duckdb resolves a relative ``path`` against the process's working
    directory, which threads and copies share; an absolute path keeps every
    copy on its own database file. Build output (``target/``, ``logs/``,
    DuckDB files) is not copied.

    Args:
        source: A directory holding ``dbt_project.yml`` and ``profiles.yml``.
        destination: A directory to create the copy in (``destination/<source name>``).

    Returns:
        Where the copy and its profile are.
    """
    project_dir = (destination / source.name).resolve()
    shutil.copytree(source, project_dir, ignore=_IGNORED)
    copy = ProjectCopy(_project_name(project_dir), project_dir, project_dir)
    profiles_path = project_dir / "profiles.yml"
    profiles: dict[str, Any] = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
    for profile in profiles.values():
        if not isinstance(profile, dict):
            continue  # the ``config:`` block
        for output in (profile.get("outputs") or {}).values():
            if output.get("type") == "duckdb":
                output["path"] = str(copy.database_path)
    profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
    return copy


def copy_project(name: str, destination: Path) -> ProjectCopy:
    """Copy one of the kit's fixture projects (see :func:`copy_tree`).

    Args:
        name: One of :data:`FIXTURE_PROJECTS`.
        destination: A directory to create the copy in (``destination/name``).

    Returns:
        Where the copy and its profile are.

    Raises:
        ValueError: ``name`` is not a fixture project.
    """
    return copy_tree(fixture_dir(name), destination)


def project_fingerprint(source: Path) -> str:
    """A digest of a project's files: what the kit's memoised reference outcomes are keyed by.

    Build output is left out, as :func:`copy_tree` leaves it out of copies.

    Args:
        source: The project's source directory (not a copy: copies differ in
            their rewritten profile).

    Returns:
        A hex SHA-256 over every file's relative path and bytes.
    """
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or any(part in _IGNORED_NAMES for part in relative.parts):
            continue
        if path.name.endswith(_IGNORED_SUFFIXES):
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
