"""How cache entries live on disk: written beside, published whole, read from one directory.

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
import shutil
import stat
import tempfile
from pathlib import Path
from types import TracebackType

__all__ = ["PinnedDirectory", "atomic_write_bytes", "publish_directory"]

# A directory renamed into place by another writer first: its entry is as whole as ours.
_PUBLISHED_BY_ANOTHER = frozenset({errno.ENOTEMPTY, errno.EEXIST})
_PINNED = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


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

    def read_bytes(self, name: str) -> bytes:
        """Read one regular file of the directory (never through a symlink)."""
        if self._fd is None:  # pragma: no cover - platforms without dir_fd
            return (self.path / name).read_bytes()
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0), dir_fd=self._fd)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", name)
            return handle.read()

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
