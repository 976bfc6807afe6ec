"""The dbt projects the kit ships, fresh copies of any dbt project, and their fingerprints.

The fixture projects live in ``floe_dbt_compliance/fixtures`` (in the source
tree and in the wheel alike). The kit never runs a project in place: every
check, on the runtime under test and on the reference, gets its own copy,
whose profile points at the copy's own place in the session's warehouse: a
DuckDB file inside the copy, or a scratch schema on PostgreSQL
(:class:`~floe_dbt_compliance.warehouse.Warehouse`).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_dbt_compliance.warehouse import Location, Warehouse, WarehouseKind

__all__ = [
    "FIXTURE_PROJECTS",
    "PACKAGE_FILES",
    "PackageFileError",
    "ProjectCopy",
    "copy_project",
    "copy_tree",
    "fixture_dir",
    "fixtures_root",
    "looping_link",
    "outside_packages",
    "package_entries",
    "project_fingerprint",
    "target_path",
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
    "slim_ci",
)
#: The files a project declares its packages in (dbt reads both).
PACKAGE_FILES = ("packages.yml", "dependencies.yml")
# Installed packages (dbt_packages/) are copied: they are part of the project dbt runs.
_IGNORED_NAMES = ("target", "logs", ".user.yml", ".git")
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
        warehouse: The warehouse its profile names (``duckdb`` or ``postgres``).
        schema: Its scratch schema on PostgreSQL (``None`` on DuckDB).
    """

    name: str
    project_dir: Path
    profiles_dir: Path
    target: str = "dev"
    warehouse: str = WarehouseKind.DUCKDB.value
    schema: str | None = None

    @property
    def database_path(self) -> Path:
        """The DuckDB file this copy's profile writes to (on DuckDB)."""
        return self.project_dir / f"{self.name}.duckdb"

    def location(self, database_path: Path | None = None) -> Location:
        """Where the copy's effects land: its DuckDB file (or ``database_path``), or its schema."""
        if self.warehouse == WarehouseKind.POSTGRES.value:
            return Location(self.warehouse, schema=self.schema)
        return Location(self.warehouse, path=str(database_path or self.database_path))


def _project_file(project_dir: Path) -> dict[str, Any]:
    document = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else {}


def _project_name(project_dir: Path) -> str:
    return str(_project_file(project_dir)["name"])


def target_path(project_dir: Path) -> Path:
    """Where dbt writes a project's artifacts (``target-path`` of ``dbt_project.yml``)."""
    return project_dir / str(_project_file(project_dir).get("target-path") or "target")


def _own_profile(
    copy: ProjectCopy, existing: dict[str, Any], warehouse: Warehouse
) -> dict[str, Any]:
    """A profile of the project's name with one target, ``dev``, on the copy's own place.

    Only what the project's own DuckDB output sets besides its file is kept
    (extensions, settings); nothing else of the user's profiles is copied.
    """
    document = _project_file(copy.project_dir)
    name = str(document.get("profile") or document["name"])
    found = existing.get(name)
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    listed = profile.get("outputs")
    outputs: dict[str, Any] = listed if isinstance(listed, dict) else {}
    default: Any = outputs.get(str(profile.get("target"))) or next(iter(outputs.values()), {})
    output = warehouse.profile_output(
        default if isinstance(default, dict) else {},
        database_path=copy.database_path,
        schema=copy.schema,
    )
    return {name: {"target": copy.target, "outputs": {copy.target: output}}}


class PackageFileError(ValueError):
    """A ``packages.yml`` or ``dependencies.yml`` that exists but cannot be read."""


def package_entries(source: Path) -> list[dict[str, Any]]:
    """The entries of a project's ``packages.yml`` and ``dependencies.yml``, as written.

    Raises:
        PackageFileError: One of them exists but is not readable YAML; the message
            names the file.
    """
    entries: list[dict[str, Any]] = []
    for name in PACKAGE_FILES:
        path = source / name
        if not path.is_file():
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise PackageFileError(f"{path} cannot be read: {exc}") from None
        listed = document.get("packages") if isinstance(document, dict) else None
        entries += [entry for entry in listed or [] if isinstance(entry, dict)]
    return entries


def outside_packages(source: Path) -> list[str]:
    """The ``local:`` packages a project declares outside its own directory.

    ``local: ../shared`` reads a directory beside the project (a monorepo's
    shared package); a copy of the project alone would lose it, and a runtime
    that runs ``dbt deps`` itself (dbt Cloud clones the whole repository) could
    not find it. A path written with Jinja, an absolute one, one that leads
    nowhere or one inside the project stays where it is.

    Args:
        source: The project's directory.

    Returns:
        The paths as written, normalised (``../shared``), sorted.
    """
    resolved = source.resolve()
    found: set[str] = set()
    for entry in package_entries(source):
        local = entry.get("local")
        if not isinstance(local, str) or "{{" in local or Path(local).is_absolute():
            continue
        relative = os.path.normpath(local)
        up = _levels_up(relative)
        where = (resolved / relative).resolve()
        if (
            0 < up < len(resolved.parents)
            and where.is_dir()
            and not resolved.is_relative_to(where)  # `..`: the project is in it
        ):
            found.add(Path(relative).as_posix())
    return sorted(found)


def looping_link(source: Path) -> tuple[Path, Path] | None:
    """A directory link under ``source`` that leads back to a directory holding it.

    :func:`copy_tree` follows links (``dbt deps`` installs a local package as
    one), so a copy of a tree holding such a link would never end.

    Returns:
        The link and the directory it leads to, or None.
    """
    for directory, folders, _ in os.walk(source, followlinks=True):
        folders[:] = [name for name in folders if name not in _IGNORED_NAMES]
        here = Path(os.path.realpath(directory))
        for name in folders:
            link = Path(directory, name)
            if link.is_symlink() and here.is_relative_to(os.path.realpath(link)):
                return link, Path(os.path.realpath(link))
    return None


def _levels_up(relative: str) -> int:
    return len(list(itertools.takewhile(lambda part: part == "..", Path(relative).parts)))


def copy_tree(
    source: Path, destination: Path, warehouse: Warehouse | None = None, *, user: bool = False
) -> ProjectCopy:
    """Copy any dbt project and point every output of its profiles at the copy's own place.

    On DuckDB that is a file inside the copy: dbt-duckdb resolves a relative
    ``path`` against the process's working directory, which threads and
    copies share, so the path is made absolute. On PostgreSQL it is a new
    scratch schema (the password stays an ``env_var``). Build output
    (``target/``, ``logs/``, DuckDB files) is not copied.

    A user's project (``--floe-dbt-project``) gets a profiles.yml of the
    kit's instead: its profile, one target ``dev``, the copy's place.

    Args:
        source: A directory holding ``dbt_project.yml`` and ``profiles.yml``
            (a user's project may keep its profile elsewhere).
        destination: A new directory to create the copy in: ``destination/<source
            name>``, or deeper when the project has :func:`outside_packages`, which
            are copied beside it as they lie beside the source.
        warehouse: The session's warehouse (default: DuckDB).
        user: A user's project, not one the kit ships.

    Returns:
        Where the copy and its profile are.
    """
    warehouse = warehouse or Warehouse.duckdb()
    outside = outside_packages(source)
    up = max((_levels_up(relative) for relative in outside), default=1)
    source = source.resolve()
    project_dir = (destination / source.relative_to(source.parents[up - 1])).resolve()
    shutil.copytree(source, project_dir, ignore=_IGNORED)
    for relative in outside:
        shutil.copytree(source / relative, project_dir / relative, ignore=_IGNORED)
    copy = ProjectCopy(
        _project_name(project_dir),
        project_dir,
        project_dir,
        warehouse=warehouse.kind.value,
        schema=warehouse.scratch(),
    )
    profiles_path = project_dir / "profiles.yml"
    if user:
        existing = _read_profiles(profiles_path)
        profiles_path.write_text(
            yaml.safe_dump(_own_profile(copy, existing, warehouse), sort_keys=False),
            encoding="utf-8",
        )
        return copy
    profiles: dict[str, Any] = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
    for profile in profiles.values():
        if not isinstance(profile, dict):
            continue  # the ``config:`` block
        outputs = profile.get("outputs") or {}
        for key, output in outputs.items():
            outputs[key] = warehouse.profile_output(
                output if isinstance(output, dict) else {},
                database_path=copy.database_path,
                schema=copy.schema,
            )
    profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
    return copy


def _read_profiles(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


def copy_project(name: str, destination: Path, warehouse: Warehouse | None = None) -> ProjectCopy:
    """Copy one of the kit's fixture projects (see :func:`copy_tree`).

    Args:
        name: One of :data:`FIXTURE_PROJECTS`.
        destination: A directory to create the copy in (``destination/name``).
        warehouse: The session's warehouse (default: DuckDB).

    Returns:
        Where the copy and its profile are.

    Raises:
        ValueError: ``name`` is not a fixture project.
    """
    return copy_tree(fixture_dir(name), destination, warehouse)


def project_fingerprint(source: Path) -> str:
    """A digest of a project's files: what the kit's memoised reference outcomes are keyed by.

    Build output is left out, as :func:`copy_tree` leaves it out of copies.

    Args:
        source: The project's source directory (not a copy: copies differ in
            their rewritten profile).

    Returns:
        A hex SHA-256 over every file's relative path and bytes.
    """
    # Linked directories are followed and the local packages beside the project walked,
    # as copy_tree copies both: an edit to a package `dbt deps` linked into dbt_packages/,
    # or to one beside the project, must change the key.
    files: list[tuple[str, Path]] = []
    walked: set[str] = set()
    for root in [source, *(source / relative for relative in outside_packages(source))]:
        for directory, folders, names in os.walk(root, followlinks=True):
            if os.path.realpath(directory) in walked:  # a link back up: walked once is enough
                folders[:] = []
                continue
            walked.add(os.path.realpath(directory))
            folders[:] = [name for name in folders if name not in _IGNORED_NAMES]
            for name in names:
                if name in _IGNORED_NAMES or name.endswith(_IGNORED_SUFFIXES):
                    continue
                path = Path(directory, name)
                if path.is_file():
                    files.append((os.path.relpath(path, source), path))
    digest = hashlib.sha256()
    for relative, path in sorted(files):
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
