"""The public projects' archives: fetched once from the package registry, checked, unpacked.

``projects.toml`` pins each archive (a source distribution) by version and
sha256. The first run downloads it with pip into ``.floe/public-projects/``
(git-ignored), checks the digest and unpacks only the listed paths; later runs
use that copy offline. Without the network the tests skip, saying why, unless
``FLOE_REQUIRE_NETWORK=1`` (CI), where they fail: there, a missing download is
a broken set-up, never a reason to skip. A digest that does not match always
fails: the registry served something else than what was reviewed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import tomllib

__all__ = ["Archive", "PublicProject", "load_manifest", "unpacked"]

MANIFEST = Path(__file__).with_name("projects.toml")
CACHE = Path(__file__).resolve().parents[2] / ".floe" / "public-projects"
_DOWNLOAD_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Archive:
    """One pinned source distribution."""

    distribution: str
    version: str
    sha256: str
    licence: str
    source: str


@dataclass(frozen=True)
class PublicProject:
    """One dbt project inside an archive, and what it needs beside it."""

    id: str
    archive: Archive
    path: str
    also: tuple[str, ...] = ()
    setup: str | None = None
    setup_database_env: str | None = None
    traits: tuple[str, ...] = field(default=(), compare=False)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path of the archive the project needs (itself, its local packages)."""
        return (self.path, *self.also)


def load_manifest(path: Path = MANIFEST) -> list[PublicProject]:
    """The projects ``projects.toml`` lists, with their archives."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    archives = {entry["distribution"]: Archive(**entry) for entry in document["archive"]}
    projects = []
    for entry in document["project"]:
        entry = dict(entry)
        archive = archives[entry.pop("archive")]
        entry["also"] = tuple(entry.get("also", ()))
        entry["traits"] = tuple(entry.get("traits", ()))
        projects.append(PublicProject(archive=archive, **entry))
    return projects


def _unavailable(reason: str) -> None:
    if os.environ.get("FLOE_REQUIRE_NETWORK") == "1":
        pytest.fail(f"{reason} (FLOE_REQUIRE_NETWORK=1: the download must work here)")
    pytest.skip(f"{reason}; set FLOE_REQUIRE_NETWORK=1 to make this a failure")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(archive: Archive) -> Path:
    """The archive file, downloaded (and checked) the first time."""
    stored = CACHE / "archives" / f"{archive.distribution}-{archive.version}.tar.gz"
    if not stored.is_file():
        stored.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="floe-public-") as scratch:
            command = [
                *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
                *("--no-binary", ":all:", "--dest", scratch),
                f"{archive.distribution}=={archive.version}",
            ]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT_SECONDS
                )
            except subprocess.TimeoutExpired:
                _unavailable(f"pip download {archive.distribution}=={archive.version} timed out")
            if done.returncode != 0:
                tail = " ".join(done.stderr.split()[-40:])
                _unavailable(
                    f"pip download {archive.distribution}=={archive.version} failed: {tail}"
                )
            files = sorted(Path(scratch).glob("*.tar.gz"))
            if len(files) != 1:
                pytest.fail(f"pip download left {[f.name for f in files]}, not one sdist")
            shutil.move(files[0], stored.with_suffix(".part"))
            stored.with_suffix(".part").rename(stored)
    actual = _sha256(stored)
    if actual != archive.sha256:
        stored.unlink()
        pytest.fail(
            f"{archive.distribution}=={archive.version}: sha256 {actual}, "
            f"not the reviewed {archive.sha256}"
        )
    return stored


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One process at a time in the cache (pytest-xdist workers share it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def unpacked(project: PublicProject) -> Path:
    """The directory holding the project's paths as the archive lays them out.

    Returns:
        The unpacked root; the project is ``root / project.path``.
    """
    with _exclusive():
        return _unpack(project)


def _unpack(project: PublicProject) -> Path:
    archive = project.archive
    root = CACHE / f"{archive.distribution}-{archive.version}" / project.id
    stamp = root / ".floe-unpacked"
    if stamp.is_file() and stamp.read_text() == archive.sha256:
        return root
    stored = _download(archive)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    with tarfile.open(stored) as tar:
        members = tar.getmembers()
        top = members[0].name.split("/", 1)[0]
        prefixes = [f"{top}/{path.strip('/')}/" for path in project.paths]
        wanted = [m for m in members if any(m.name.startswith(p) for p in prefixes)]
        for member in wanted:
            member.name = member.name.removeprefix(f"{top}/")
        tar.extractall(root, members=wanted, filter="data")
    missing = [path for path in project.paths if not (root / path).is_dir()]
    if missing:
        pytest.fail(f"{project.id}: the archive has no {missing}")
    stamp.write_text(archive.sha256)
    return root
