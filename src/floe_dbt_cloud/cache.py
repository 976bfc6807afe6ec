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
place, so a reader sees a whole entry or none. Anything unexpected on read —
unparsable metadata, a missing or corrupt file, an artifact that is not the
dbt file its name says, another host's or account's entry, a name that is
not a run id, a directory others can write to — is a miss and never an
exception: the cache can only make things faster, never break them.
Directories are 0700 and files 0600; the token is never written.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from floe_core.errors import DBTConfigurationError
from floe_dbt_cloud.artifacts import ArtifactShapeError, parse_artifact

__all__ = [
    "DISABLE_ENV_VAR",
    "ArtifactCache",
    "CacheEntry",
    "CacheMetadata",
    "atomic_write_bytes",
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
# A timestamp slightly ahead of our clock is clock skew; far ahead is a forged
# entry that would otherwise never expire.
_CLOCK_SKEW = timedelta(minutes=5)


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


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write a file so readers see the old content or the new one, never half.

    Args:
        path: The destination; its directory must exist.
        data: The content.
        mode: The permissions of the new file.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    """One valid cache entry."""

    path: Path
    metadata: CacheMetadata

    def artifact_path(self, name: str) -> Path:
        """Where one of the entry's artifacts is."""
        return self.path / validate_artifact_name(name)


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
        if ttl_hours <= 0:
            raise DBTConfigurationError(f"cache_ttl_hours must be > 0, got {ttl_hours}")
        self.root = Path(root)
        self.host = host
        self.ttl = timedelta(hours=ttl_hours)
        self._forced = enabled
        self._now = now

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
            self._ensure_root()
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{run}."))
            try:
                for name, content in artifacts.items():
                    atomic_write_bytes(staging / name, content)
                atomic_write_bytes(
                    staging / METADATA_FILE, metadata.model_dump_json(indent=2).encode()
                )
                self._swap_into_place(staging, self.root / run)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:
            # An unwritable cache costs speed only; the run's result stands.
            logger.warning("could not write the artifact cache at %s: %s", self.root, exc)
            return None
        return CacheEntry(self.root / run, metadata)

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
        if not self.enabled or not self.root.is_dir():
            return None
        wanted_jobs = None if job_ids is None else {str(job) for job in job_ids}
        best: CacheEntry | None = None
        for child in self.root.iterdir():
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
        """Parse one artifact of an entry; None when it is missing, corrupt or not that artifact.

        An artifact is served only if it is the dbt file its name says
        (:func:`~floe_dbt_cloud.artifacts.parse_artifact`): any other JSON
        written into an entry is a miss.
        """
        try:
            return parse_artifact(artifact, entry.artifact_path(artifact).read_bytes())
        except (OSError, ArtifactShapeError) as exc:
            logger.warning("ignoring cache entry %s: %s unusable (%s)", entry.path, artifact, exc)
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
            info = directory.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
                return None  # a symlink, a file, or a directory others can write to
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return None
            raw = (directory / METADATA_FILE).read_bytes()
            metadata = CacheMetadata.model_validate_json(raw)
        except (OSError, ValidationError):
            return None
        if metadata.run_id != directory.name:
            return None
        try:
            names = [validate_artifact_name(name) for name in metadata.artifacts]
        except DBTConfigurationError:
            return None
        if not all((directory / name).is_file() for name in names):
            return None
        return CacheEntry(directory, metadata)

    def _ensure_root(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask and ignored for an existing directory.
        os.chmod(self.root, 0o700)

    @staticmethod
    def _swap_into_place(staging: Path, final: Path) -> None:
        os.chmod(staging, 0o700)
        if not final.exists():
            try:
                os.replace(staging, final)
                return
            except OSError:
                if not final.exists():
                    raise
        # Replacing a live entry: move the old one aside first, as a directory
        # cannot be renamed over a non-empty one.
        graveyard = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old."))
        try:
            os.replace(final, graveyard / "entry")
            os.replace(staging, final)
        finally:
            shutil.rmtree(graveyard, ignore_errors=True)
