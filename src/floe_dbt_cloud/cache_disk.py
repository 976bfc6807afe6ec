"""How cache entries live on disk: in a directory of ours, published whole, read through one handle.

The entries go into the configured cache directory when it is ours and no one
else can write to it; otherwise (a shared ``/tmp``-like directory with mode
1777, one owned by another user) into a private subdirectory
``user-<uid>`` created inside it, mode 0700. The configured directory itself
is never chmod'ed: it is what the user made.

A writer fills a private staging directory next to the entries and renames it
into place; it never changes a file of a published entry. When the entry
already exists, the old directory is first renamed aside (a directory cannot
be renamed over a non-empty one), so between the two renames a reader sees no
entry — a miss, never a mix. A reader opens the entry's directory once and
reads every file through that handle (``dir_fd``): whatever renames happen
meanwhile, the files it reads belong to the one directory it chose, or are
gone (a miss).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path
from types import TracebackType

from floe_core.files import MAX_ARTIFACT_BYTES, read_bytes

__all__ = [
    "PRIVATE_SUBDIRECTORY",
    "STALE_STAGING_SECONDS",
    "PinnedDirectory",
    "atomic_write_bytes",
    "entries_directory",
    "publish_directory",
    "remove_stale_staging",
    "staging_directory",
]

#: A staging directory untouched this long was left by a writer that was interrupted
#: (killed, out of disk): a live writer fills and publishes its own within seconds.
STALE_STAGING_SECONDS = 3600
# `.<run id>.<random>` (staging) and `.<run id>.old.<random>` (an entry moved aside).
_STAGING_NAME = re.compile(r"\.[0-9]{1,20}\.")
# A directory renamed into place by another writer first: its entry is as whole as ours.
_PUBLISHED_BY_ANOTHER = frozenset({errno.ENOTEMPTY, errno.EEXIST})
_PINNED = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def _ours_and_private(info: os.stat_result, *, others_may_read: bool) -> bool:
    uid = _uid()
    if uid is None:  # pragma: no cover - no POSIX ownership (Windows)
        return True
    loose = 0o022 if others_may_read else 0o077
    return info.st_uid == uid and not info.st_mode & loose


PRIVATE_SUBDIRECTORY = f"user-{_uid()}"


def entries_directory(root: Path, *, create: bool) -> Path | None:
    """Where this user's cache entries live under the configured cache directory.

    Args:
        root: The configured cache directory.
        create: Create what is missing (writers); readers pass False.

    Returns:
        ``root`` when it is this user's and only this user can write to it;
        else ``root/user-<uid>`` (0700). None when ``create`` is False and
        the directory does not exist yet.

    Raises:
        OSError: The directory cannot be created or used (``PermissionError``
            when the private subdirectory exists but belongs to someone else or
            others can reach it).
    """
    try:
        info = root.stat()
    except FileNotFoundError:
        if not create:
            return None
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = root.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(root))
    if _ours_and_private(info, others_may_read=True):
        return root
    private = root / PRIVATE_SUBDIRECTORY
    if create:
        with contextlib.suppress(FileExistsError):
            private.mkdir(mode=0o700)
    try:
        info = private.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not _ours_and_private(info, others_may_read=False):
        raise PermissionError(
            errno.EACCES,
            "not a private directory of this user (mode 0700, owned by it)",
            str(private),
        )
    return private


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


def staging_directory(directory: Path, run: str) -> Path:
    """A new private directory beside the entries to write ``run``'s entry in.

    Writers interrupted before they published leave theirs behind; those older
    than :data:`STALE_STAGING_SECONDS` are removed first, so the cache does not
    grow with every crash.
    """
    remove_stale_staging(directory)
    return Path(tempfile.mkdtemp(dir=directory, prefix=f".{run}."))


def remove_stale_staging(
    directory: Path, *, older_than: float = STALE_STAGING_SECONDS, now: float | None = None
) -> list[str]:
    """Remove this user's staging directories untouched for ``older_than`` seconds.

    Only directories named as this module names them (``.<run>.<random>``,
    ``.<run>.old.<random>``), owned by this user and not links, are removed;
    an entry, or anything else, never is. Failures are ignored: the next
    write tries again.

    Returns:
        The names removed.
    """
    cutoff = (time.time() if now is None else now) - older_than
    uid = _uid()
    removed: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not _STAGING_NAME.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        ours = uid is None or info.st_uid == uid
        if stat.S_ISDIR(info.st_mode) and ours and info.st_mtime < cutoff:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
    return removed


def publish_directory(staging: Path, final: Path) -> bool:
    """Rename a fully written directory into place, replacing any previous one whole.

    Args:
        staging: The new entry, complete, in the same parent directory as ``final``.
        final: Where it is published.

    Returns:
        True when ``staging`` is now ``final``; False when another writer
        published its own entry there at the same moment (``staging`` is left
        for the caller to remove).

    Raises:
        OSError: The rename failed for another reason.
    """
    os.chmod(staging, 0o700)
    try:
        os.rename(staging, final)  # one rename when there is nothing to replace
        return True
    except OSError as exc:
        if exc.errno not in _PUBLISHED_BY_ANOTHER:
            raise
    graveyard = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old."))
    try:
        with contextlib.suppress(FileNotFoundError):  # another writer moved it aside first
            os.rename(final, graveyard / "entry")
        try:
            os.rename(staging, final)
        except OSError as exc:
            if exc.errno in _PUBLISHED_BY_ANOTHER:
                return False
            raise
        return True
    finally:
        shutil.rmtree(graveyard, ignore_errors=True)


class PinnedDirectory:
    """An entry directory opened once, whose files are all read through that one handle.

    Refuses a symlink, and reports the directory's identity (device, inode)
    so a caller can tell it is the one it chose. Where the platform cannot
    open files relative to a directory handle, files are read by path.

    Args:
        path: The directory.

    Raises:
        OSError: It cannot be opened (missing, a symlink, not a directory ...).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        if _PINNED:
            flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
            self._fd = os.open(path, flags)
            info = os.fstat(self._fd)
        else:  # pragma: no cover - platforms without dir_fd (Windows)
            info = path.lstat()
            if not stat.S_ISDIR(info.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        self.info = info

    @property
    def identity(self) -> tuple[int, int]:
        """(device, inode) of the opened directory."""
        return self.info.st_dev, self.info.st_ino

    def is_file(self, name: str) -> bool:
        """Whether the directory holds a regular file of that name (a symlink is not one)."""
        try:
            if self._fd is None:  # pragma: no cover - platforms without dir_fd
                info = (self.path / name).lstat()
            else:
                info = os.stat(name, dir_fd=self._fd, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode)

    def read_bytes(self, name: str, *, limit: int = MAX_ARTIFACT_BYTES) -> bytes:
        """Read one regular file of the directory (never through a symlink, never blocking).

        Raises:
            UnreadableFile: It is missing, a symlink, not a regular file (a
                FIFO is refused without waiting for a writer), or larger than ``limit``.
        """
        if self._fd is None:  # pragma: no cover - platforms without dir_fd
            return read_bytes(self.path / name, limit=limit, what="cache file")
        return read_bytes(
            name, limit=limit, what="cache file", dir_fd=self._fd, follow_symlinks=False
        )

    def close(self) -> None:
        """Release the handle."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> PinnedDirectory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
