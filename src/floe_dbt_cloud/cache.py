"""The local artifact cache of dbt Cloud runs (REQ-092).

Layout::

    <root>/<run_id>/manifest.json
                   /run_results.json
                   /catalog.json        (when the run produced one)
                   /metadata.json       {cached_at, run_id, account_id, job_id, artifacts, host}

Entries are keyed by dbt Cloud host as well as account and job: ``host`` is
the API's host (and port), so two dbt Cloud instances whose account and job
ids coincide never serve each other's artifacts. (Run ids are only unique per
host: two hosts' runs with the same id share a directory, and the later
write replaces the earlier; the cache then misses, it never mixes them.)

An entry is written into a private temporary directory and renamed into
place (temporary directories an interrupted writer left are removed by a
later write, once an hour old), and read through one handle on its directory
(:mod:`floe_dbt_cloud.cache_disk`), so a reader sees one writer's whole entry
or none. Anything unexpected on read — unparsable metadata, a missing or
corrupt file, an artifact that is not the dbt file its name says, another
host's or account's entry, a name that is not a run id, a directory others
can write to — is a miss and never an exception: the cache can only make
things faster, never break them.
Directories are 0700 and files 0600; the token is never written.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from floe_core.bounds import checked
from floe_core.errors import DBTConfigurationError, UnreadableFile
from floe_dbt_cloud.artifacts import ArtifactShapeError, parse_artifact
from floe_dbt_cloud.cache_disk import (
    PinnedDirectory,
    atomic_write_bytes,
    entries_directory,
    publish_directory,
    staging_directory,
)
from floe_dbt_cloud.config import CloudRuntimeConfig

__all__ = [
    "DISABLE_ENV_VAR",
    "READ_PROBLEM",
    "WRITE_PROBLEM",
    "ArtifactCache",
    "CacheEntry",
    "CacheMetadata",
    "cache_disabled_by_env",
    "host_key",
    "validate_artifact_name",
    "validate_run_id",
]

logger = logging.getLogger(__name__)

DISABLE_ENV_VAR = "FLOE_DISABLE_CACHE"
METADATA_FILE = "metadata.json"
_RUN_ID = re.compile(r"^[0-9]{1,20}$")
_ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.json$")
_FIX = (
    "point dbt_runtime_config.cloud.cache_dir in manifest.yaml at a directory this user owns "
    "(or give {root} back to it), or turn the cache off with FLOE_DISABLE_CACHE=true"
)
READ_PROBLEM = (
    "the dbt Cloud artifact cache at {root} cannot be read ({reason}); get_manifest() asks "
    "dbt Cloud instead. To use the cache, " + _FIX
)
WRITE_PROBLEM = (
    "the dbt Cloud artifact cache at {root} cannot be written ({reason}); the run's result and "
    "its files in target/ stand, but nothing was cached. To use the cache, " + _FIX
)
# A timestamp slightly ahead of our clock is clock skew; far ahead is a forged
# entry that would otherwise never expire.
_CLOCK_SKEW = timedelta(minutes=5)
# metadata.json names a handful of artifacts: a few hundred bytes.
_METADATA_LIMIT = 64 * 1024


def cache_disabled_by_env(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``FLOE_DISABLE_CACHE`` is ``true``/``1``/``yes`` (any case)."""
    value = (os.environ if environ is None else environ).get(DISABLE_ENV_VAR, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def host_key(base_url: str) -> str:
    """The part of an API URL that names the dbt Cloud instance: host, and port unless default.

    Examples:
        >>> host_key("https://Cloud.getdbt.com/api/v2")
        'cloud.getdbt.com'
        >>> host_key("http://127.0.0.1:8765/api/v2")
        '127.0.0.1:8765'
    """
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def validate_run_id(run_id: object) -> str:
    """Return a run id as a safe path component, or refuse it.

    Args:
        run_id: A run id from dbt Cloud (an integer, or digits).

    Returns:
        The id as digits.

    Raises:
        DBTConfigurationError: It is not a plain decimal number, e.g. ``../../x``.
    """
    text = str(run_id)
    if isinstance(run_id, bool) or not _RUN_ID.fullmatch(text):
        raise DBTConfigurationError(
            f"refusing run id {text[:40]!r} as a cache path: dbt Cloud run ids are decimal numbers"
        )
    return text


def validate_artifact_name(name: str) -> str:
    """Return an artifact file name that is safe as a path component, or refuse it.

    Raises:
        DBTConfigurationError: It has a separator, a leading dot, or is not ``*.json``.
    """
    if not _ARTIFACT_NAME.fullmatch(name) or name == METADATA_FILE:
        raise DBTConfigurationError(
            f"refusing artifact name {name[:60]!r}: expected a plain file name such as "
            "manifest.json (letters, digits, '_', '-', '.', ending in .json)"
        )
    return name


class CacheMetadata(BaseModel):
    """``metadata.json`` exactly as REQ-092 shows it (ids as strings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cached_at: datetime
    run_id: str
    account_id: str
    job_id: str
    artifacts: list[str]
    host: str


@dataclass(frozen=True)
class CacheEntry:
    """One valid cache entry, as it was when it was chosen.

    Attributes:
        path: Its directory.
        metadata: Its ``metadata.json``.
        identity: (device, inode) of the directory: a directory published in
            its place later is another entry, read as a miss.
    """

    path: Path
    metadata: CacheMetadata
    identity: tuple[int, int] = (0, 0)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ArtifactCache:
    """Run artifacts kept on local disk for ``ttl_hours``.

    Args:
        root: The cache directory (``.floe/dbt-cloud-cache`` by default in the runtime).
        host: The dbt Cloud host the entries come from (:func:`host_key`).
        ttl_hours: How long an entry is served.
        enabled: Force on/off; by default off whenever ``FLOE_DISABLE_CACHE=true``.
        now: The current UTC time (tests pass a fake clock).

    Examples:
        >>> cache = ArtifactCache(  # doctest: +SKIP
        ...     Path(".floe/dbt-cloud-cache"), host="cloud.getdbt.com"
        ... )
        >>> entry = cache.store(  # doctest: +SKIP
        ...     42, account_id="1", job_id=7, artifacts={"manifest.json": b"{}"}
        ... )
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str,
        ttl_hours: float = 24.0,
        enabled: bool | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        ttl = checked(CloudRuntimeConfig, cache_ttl_hours=ttl_hours)["cache_ttl_hours"]
        self.root = Path(root)
        self.host = host
        self.ttl = timedelta(hours=ttl)
        self._forced = enabled
        self._now = now
        self._warned: set[str] = set()

    @property
    def enabled(self) -> bool:
        """Whether entries are read and written now.

        ``FLOE_DISABLE_CACHE`` is read at each use, not once at construction,
        so setting it for a long-lived runtime takes effect at once.
        """
        return (not cache_disabled_by_env()) if self._forced is None else self._forced

    def __repr__(self) -> str:
        return (
            f"ArtifactCache(root={str(self.root)!r}, host={self.host!r}, ttl={self.ttl}, "
            f"enabled={self.enabled})"
        )

    def store(
        self,
        run_id: int | str,
        *,
        account_id: str,
        job_id: int | str,
        artifacts: Mapping[str, bytes],
    ) -> CacheEntry | None:
        """Write (or replace) the entry of one run.

        Args:
            run_id: The run the artifacts come from.
            account_id: The dbt Cloud account.
            job_id: The job the run belongs to.
            artifacts: File name -> content (``manifest.json`` ...).

        Returns:
            The new entry, or None when the cache is disabled or not writable.

        Raises:
            DBTConfigurationError: The run id or an artifact name is not safe as a path.
        """
        run = validate_run_id(run_id)
        names = [validate_artifact_name(name) for name in artifacts]
        if not self.enabled:
            return None
        metadata = CacheMetadata(
            cached_at=self._now(),
            run_id=run,
            account_id=str(account_id),
            job_id=str(job_id),
            artifacts=sorted(names),
            host=self.host,
        )
        try:
            directory = entries_directory(self.root, create=True)
            assert directory is not None  # created
            # Written beside the entries (a hidden name is never read as one),
            # then published whole.
            staging = staging_directory(directory, run)
            try:
                for name, content in artifacts.items():
                    atomic_write_bytes(staging / name, content)
                atomic_write_bytes(
                    staging / METADATA_FILE, metadata.model_dump_json(indent=2).encode()
                )
                staged = staging.stat()  # the published entry's identity (device, inode)
                published = publish_directory(staging, directory / run)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:
            # An unusable cache costs speed only: the run's result stands.
            self._warn_once(WRITE_PROBLEM, exc)
            return None
        if not published:
            logger.debug("cache entry %s was published by another writer meanwhile", run)
            return None
        return CacheEntry(directory / run, metadata, (staged.st_dev, staged.st_ino))

    def latest(
        self, artifact: str, *, account_id: str, job_ids: Collection[int | str] | None = None
    ) -> CacheEntry | None:
        """Find the newest live entry of this host and an account that holds ``artifact``.

        Args:
            artifact: The file wanted, e.g. ``manifest.json``.
            account_id: Entries of other accounts (and of other hosts) are ignored.
            job_ids: When given, only entries of these jobs count.

        Returns:
            The entry, or None (disabled, nothing cached, everything expired or invalid).
        """
        validate_artifact_name(artifact)
        if not self.enabled:
            return None
        try:
            directory = entries_directory(self.root, create=False)
            children = sorted(directory.iterdir()) if directory is not None else []
        except OSError as exc:
            self._warn_once(READ_PROBLEM, exc)
            return None
        wanted_jobs = None if job_ids is None else {str(job) for job in job_ids}
        best: CacheEntry | None = None
        for child in children:
            entry = self._entry(child)
            if (
                entry is None
                or entry.metadata.host != self.host
                or entry.metadata.account_id != str(account_id)
                or (wanted_jobs is not None and entry.metadata.job_id not in wanted_jobs)
                or artifact not in entry.metadata.artifacts
                or not self._is_fresh(entry.metadata)
            ):
                continue
            if best is None or entry.metadata.cached_at > best.metadata.cached_at:
                best = entry
        return best

    def read(self, entry: CacheEntry, artifact: str) -> dict[str, Any] | None:
        """Parse one artifact of an entry; None when it is not exactly what was chosen.

        The entry's directory is opened once; its ``metadata.json`` must still
        be the one :meth:`latest` chose, and the artifact is read through the
        same handle, so metadata and artifact always come from one writer's
        entry. A replaced, removed, corrupt or foreign entry is a miss, and an
        artifact is served only if it is the dbt file its name says
        (:func:`~floe_dbt_cloud.artifacts.parse_artifact`).
        """
        name = validate_artifact_name(artifact)
        try:
            with PinnedDirectory(entry.path) as directory:
                if directory.identity != entry.identity:
                    return None  # another writer's entry was published since
                current = CacheMetadata.model_validate_json(
                    directory.read_bytes(METADATA_FILE, limit=_METADATA_LIMIT)
                )
                if current != entry.metadata:
                    return None
                content = directory.read_bytes(name)
        except (OSError, UnreadableFile, ValidationError):
            return None  # replaced, removed or not a file meanwhile: a miss
        try:
            # Checked node by node before it was written; here, dbt's schema and the top level.
            return parse_artifact(name, content, deep=False)
        except ArtifactShapeError as exc:
            logger.warning("ignoring cache entry %s: %s unusable (%s)", entry.path, name, exc)
            return None

    def _is_fresh(self, metadata: CacheMetadata) -> bool:
        now = self._now()
        cached_at = metadata.cached_at
        if cached_at.tzinfo is None:
            return False
        return now - self.ttl < cached_at <= now + _CLOCK_SKEW

    def _entry(self, directory: Path) -> CacheEntry | None:
        if not _RUN_ID.fullmatch(directory.name):
            return None
        try:
            with PinnedDirectory(directory) as pinned:
                info = pinned.info
                if info.st_mode & 0o022:
                    return None  # a directory others can write to
                if hasattr(os, "getuid") and info.st_uid != os.getuid():
                    return None
                metadata = CacheMetadata.model_validate_json(
                    pinned.read_bytes(METADATA_FILE, limit=_METADATA_LIMIT)
                )
                if metadata.run_id != directory.name:
                    return None
                names = [validate_artifact_name(name) for name in metadata.artifacts]
                if not all(pinned.is_file(name) for name in names):
                    return None  # a partial entry
        except (OSError, UnreadableFile, ValidationError, DBTConfigurationError):
            return None  # a symlink, a FIFO, unreadable, partial or foreign: a miss
        return CacheEntry(directory, metadata, pinned.identity)

    def _warn_once(self, problem: str, exc: OSError) -> None:
        where = exc.filename or self.root
        reason = exc.strerror or type(exc).__name__
        message = problem.format(root=self.root, reason=f"{reason}: {where}")
        if message not in self._warned:
            self._warned.add(message)
            logger.warning("%s", message)
