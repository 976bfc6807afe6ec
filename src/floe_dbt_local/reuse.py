"""Reuse of a parsed dbt manifest, only while it is provably current.

``dbtRunner(manifest=m)`` skips parsing, but it does not look at the files
again: an edited model would run its old SQL. A manifest is therefore reused
only when the *fingerprint* of everything that parsing reads is unchanged:

* the content of every file under the project's source directories
  (models, macros, tests, seeds, snapshots, analyses, installed packages and
  any other ``*-paths`` of ``dbt_project.yml``) and of the project-level files
  (``dbt_project.yml``, ``packages.yml``, ``selectors.yml`` ...);
* ``profiles.yml`` (the database, schema and adapter are baked into the parsed
  nodes) and the target name;
* the whole process environment (``env_var()`` can appear in any project file
  or the profile, and ``DBT_*`` variables are dbt flags) and a ``.env`` file in
  the working directory (dbt 1.12 loads it on every invocation);
* the dbt-core version and the working directory;
* the ``--vars`` of the invocation (``var()`` is rendered while parsing, in
  configs, ``ref``s and ``enabled``): the cache is keyed by them as well, so
  runtimes bound to other vars each keep their own parse.

Contents are hashed rather than modification times, whose granularity can
hide an edit made within the same clock tick. Nothing here stores a value:
only a digest of the environment and files.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from floe_dbt_local.layout import PROJECT_FILES, ProjectLayout

__all__ = ["ManifestCache", "project_fingerprint"]

# (project directory, profiles directory, target, --vars document or None)
CacheKey = tuple[Path, Path, str, str | None]


def project_fingerprint(
    layout: ProjectLayout,
    profiles_dir: Path,
    target: str,
    dbt_version: str,
    vars: str | None = None,
) -> str:
    """Digest everything a dbt parse of this project depends on.

    Args:
        layout: The project's directories.
        profiles_dir: The directory holding ``profiles.yml``.
        target: The profile target.
        dbt_version: The dbt-core version doing the parsing.
        vars: The invocation's ``--vars`` document, or None.

    Returns:
        A hex digest that changes whenever a parse could produce a different manifest.
    """
    digest = hashlib.blake2b(digest_size=20)

    def feed(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)

    # The working directory: dbt-duckdb resolves a relative database path against it.
    feed("dbt", dbt_version, "target", target, "project", str(layout.project_dir), os.getcwd())
    feed("vars", "<none>" if vars is None else vars)
    for key, value in sorted(os.environ.items()):
        feed(key, value)
    files = [layout.project_dir / name for name in PROJECT_FILES]
    files += [profiles_dir.resolve() / "profiles.yml", Path.cwd() / ".env"]
    excluded = (layout.target_path, layout.log_path)
    for directory in layout.source_dirs:
        files.extend(_walk(directory, excluded))
    for path in files:
        feed("file", str(path))
        try:
            feed(path.read_bytes())
        except FileNotFoundError:
            feed("<missing>")
        except IsADirectoryError:
            feed("<directory>")
    return digest.hexdigest()


def _walk(directory: Path, excluded: tuple[Path, ...]) -> Iterator[Path]:
    if not directory.is_dir() or directory in excluded:
        return
    # followlinks: `dbt deps` installs local packages as symlinks into dbt_packages.
    for root, dirs, names in os.walk(directory, followlinks=True):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if root_path / d not in excluded)
        for name in sorted(names):
            yield root_path / name


class ManifestCache:
    """The most recently parsed manifests, each valid for one fingerprint.

    Keyed by (project directory, profiles directory, target, vars). Not thread-safe:
    the runtime only touches it while holding the invocation lock.

    Args:
        max_entries: How many projects' manifests to keep (each can be tens of MB).
    """

    def __init__(self, max_entries: int = 2) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._entries: OrderedDict[CacheKey, tuple[str, Any]] = OrderedDict()

    def get(self, key: CacheKey, fingerprint: str) -> Any | None:
        """Return the manifest parsed for ``key`` if its fingerprint still matches.

        A stale entry is dropped, so its memory is released at once.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != fingerprint:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: CacheKey, fingerprint: str, manifest: Any) -> None:
        """Remember ``manifest`` as the parse of ``key`` at ``fingerprint``."""
        self._entries[key] = (fingerprint, manifest)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: CacheKey) -> None:
        """Forget ``key`` (after an invocation that failed, the manifest is not trusted)."""
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
