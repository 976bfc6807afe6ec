"""Reuse of a parsed dbt manifest, only while it is provably current.

``dbtRunner(manifest=m)`` skips parsing, but it does not look at the files
again: an edited model would run its old SQL. A manifest is therefore reused
only when the *fingerprint* of everything that parsing reads is unchanged
(and each invocation runs its own copy of it: :mod:`floe_dbt_local.parsed`):

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

The fingerprint is taken while the process-wide invocation lock is held, so
its work is bounded:

* directories are walked the way dbt walks them (``os.walk`` without
  following directory links below a source directory, so two links to
  ``.`` cost two entries, not an endless walk); each package that
  ``dbt deps`` installed as a link is a source directory of its own, as dbt
  loads it;
* only regular files are read (a FIFO or a link to ``/dev/zero`` would block
  or never end); a file that cannot be read counts by its metadata, and
  dbt reports it if it needs it;
* past :data:`DEFAULT_BUDGET` (files or bytes) the fingerprint gives up and
  the invocation simply parses, as plain dbt does.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from dbt.cli.main import dbtRunner

from floe_core.errors import DBTCompilationError, UnreadableFile
from floe_core.files import open_regular
from floe_dbt_local.dbt_errors import wrap_dbt_exception
from floe_dbt_local.invocation import Call
from floe_dbt_local.layout import PROJECT_FILES, ProjectLayout
from floe_dbt_local.parsed import FrozenManifest
from floe_dbt_local.project_files import source_roots, walk

__all__ = [
    "DEFAULT_BUDGET",
    "FingerprintBudget",
    "ManifestCache",
    "current_manifest",
    "project_fingerprint",
]

logger = logging.getLogger(__name__)

# (project directory, profiles directory, target, --vars document or None)
CacheKey = tuple[Path, Path, str, str | None]


class FingerprintBudget(NamedTuple):
    """How much a fingerprint may read before it gives up (and the call parses instead)."""

    max_files: int
    max_bytes: int


DEFAULT_BUDGET = FingerprintBudget(max_files=50_000, max_bytes=256 * 1024 * 1024)


class _OverBudget(Exception):
    pass


def project_fingerprint(
    layout: ProjectLayout,
    profiles_dir: Path,
    target: str,
    dbt_version: str,
    vars: str | None = None,
    *,
    budget: FingerprintBudget | None = None,
) -> str | None:
    """Digest everything a dbt parse of this project depends on.

    Args:
        layout: The project's directories.
        profiles_dir: The directory holding ``profiles.yml``.
        target: The profile target.
        dbt_version: The dbt-core version doing the parsing.
        vars: The invocation's ``--vars`` document, or None.
        budget: How many files and bytes it may read; :data:`DEFAULT_BUDGET` by default.

    Returns:
        A hex digest that changes whenever a parse could produce a different
        manifest, or None when the project is larger than ``budget`` (then
        nothing can be proven current and the caller must parse).
    """
    budget = budget or DEFAULT_BUDGET
    digest = _Digest(budget)
    # The working directory: dbt-duckdb resolves a relative database path against it.
    digest.feed("dbt", dbt_version, "target", target, "project", str(layout.project_dir))
    digest.feed(os.getcwd(), "vars", "<none>" if vars is None else vars)
    for key, value in sorted(os.environ.items()):
        digest.feed(key, value)
    files = [layout.project_dir / name for name in PROJECT_FILES]
    files += [profiles_dir.resolve() / "profiles.yml", Path.cwd() / ".env"]
    excluded = frozenset((layout.target_path, layout.log_path))
    try:
        for path in files:
            digest.file(path)
        for root in source_roots(layout):
            for path, is_link in walk(root, excluded):
                if is_link:
                    digest.link(path)
                else:
                    digest.file(path)
    except _OverBudget:
        logger.info(
            "the dbt project at %s has more than %d files or %d bytes in its source "
            "directories: its parsed manifest is not reused",
            layout.project_dir,
            budget.max_files,
            budget.max_bytes,
        )
        return None
    return digest.hexdigest()


class _Digest:
    def __init__(self, budget: FingerprintBudget) -> None:
        self._hash = hashlib.blake2b(digest_size=20)
        self._files_left = budget.max_files
        self._bytes_left = budget.max_bytes

    def feed(self, *parts: str | bytes) -> None:
        for part in parts:
            data = part.encode(errors="surrogateescape") if isinstance(part, str) else part
            self._hash.update(len(data).to_bytes(8, "little"))
            self._hash.update(data)

    def file(self, path: Path) -> None:
        self._files_left -= 1
        if self._files_left < 0:
            raise _OverBudget
        self.feed("file", str(path))
        try:
            with open_regular(path) as handle:
                # One byte past what is left tells "too large" from "exactly enough"
                # even for files whose size stat cannot tell (procfs).
                data = handle.read(self._bytes_left + 1)
        except UnreadableFile as exc:
            if exc.missing:
                self.feed("<missing>")
            elif exc.errno is None:  # not a regular file: never opened for reading
                self.feed("<not a regular file>", exc.fact)
            else:
                # Unreadable: what dbt would see is only that it cannot read it,
                # and that changes with the file's metadata.
                self.feed("<unreadable>", str(exc.errno), _metadata(path))
            return
        except OSError as exc:
            self.feed("<unreadable>", str(exc.errno), _metadata(path))
            return
        self._bytes_left -= len(data)
        if self._bytes_left < 0:
            raise _OverBudget
        self.feed(data)

    def link(self, path: Path) -> None:
        """A link to a directory: dbt does not walk into it, but where it points may matter."""
        try:
            self.feed("link", str(path), os.readlink(path))
        except OSError as exc:
            self.feed("link", str(path), f"errno {exc.errno}")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _metadata(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        return f"errno {exc.errno}"
    return f"{info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"


class ManifestCache:
    """The most recently parsed manifests, each valid for one fingerprint.

    Entries are :class:`~floe_dbt_local.parsed.FrozenManifest` objects: each use thaws
    its own copy, so what one invocation compiles never reaches the next.

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


def current_manifest(
    cache: ManifestCache,
    call: Call,
    layout: ProjectLayout,
    callback: Callable[[Any], None],
    dbt_version: str,
) -> tuple[Any, bool]:
    """Return a manifest that is provably current for ``call``, parsing when needed.

    Args:
        cache: The runtime's parsed manifests.
        call: The invocation about to run (its key includes the vars).
        layout: The project's directories.
        callback: dbt's event callback for the parse.
        dbt_version: The dbt-core version.

    Returns:
        ``(manifest, reused)``; ``(None, False)`` when the project is too large
        to fingerprint (dbt then parses during the invocation, as plain dbt does).

    Raises:
        DBTCompilationError: The project does not parse.
        DBTExecutionError: dbt could not run the parse at all.
    """
    # Taken before parsing: an edit made during the parse changes the next
    # fingerprint, so it can only cost a re-parse, never a stale run.
    fingerprint = project_fingerprint(
        layout, call.profiles_dir, call.target, dbt_version, call.vars_document
    )
    if fingerprint is None:
        cache.discard(call.key)
        return None, False
    cached = cache.get(call.key, fingerprint)
    if cached is not None:
        # A thawed copy: dbt compiles into the manifest it runs (see floe_dbt_local.parsed).
        return cached.thaw(), True
    parsed = dbtRunner(callbacks=[callback]).invoke(call.args("parse"))
    if parsed.exception is not None:
        raise wrap_dbt_exception(
            parsed.exception,
            command=call.command,
            project_dir=call.project_dir,
            written=(layout.target_path, layout.log_path),
        ) from parsed.exception
    if not parsed.success or parsed.result is None:
        raise DBTCompilationError(
            f"dbt could not parse the project at {call.project_dir} (dbt {call.command})"
        )
    # Frozen before this invocation compiles into it.
    cache.put(call.key, fingerprint, FrozenManifest(parsed.result))
    return parsed.result, False
