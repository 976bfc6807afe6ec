"""Reading a file floe did not write, without trusting it: one helper for every read.

Whatever floe reads from disk — a configuration file, a secret, a dbt
artifact (``manifest.json``, ``run_results.json``), a cache entry, a project
file — may be something else than the file it should be: a FIFO that never
delivers a byte, a link to ``/dev/zero`` that never ends, a directory, a file
nobody may read, Latin-1 text, 100,000 nested brackets. Each is refused here
with a reason a person can act on, and never by blocking:

* the file is opened non-blocking (a FIFO with no writer does not wait) and
  its type is checked on the opened descriptor (``fstat``), so nothing is
  read from anything but a regular file, even one swapped in after a check;
* at most ``limit`` bytes are read (one more tells "too large" from "exactly
  enough");
* text must be UTF-8 (a UTF-8 byte-order mark is accepted, UTF-16 is named);
* JSON nested deeper than :data:`MAX_JSON_DEPTH` is refused before it is
  parsed, so no reader of the document can recurse out of the stack.

Every refusal is an :class:`~floe_core.errors.UnreadableFile` (its message
is the path and the reason, its ``reason`` completes a sentence about the
file, its ``fact`` says only what is wrong); callers turn it into
the error their own contract names (``DBTArtifactNotFoundError`` for an
artifact, ``ManifestError`` for a manifest ...).

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "run_results.json"
    ...     _ = path.write_text('{"results": []}')
    ...     read_json(path, what="run results")
    {'results': []}
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from floe_core.errors import UnreadableFile

__all__ = [
    "MAX_ARTIFACT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TEXT_BYTES",
    "decode_utf8",
    "file_kind",
    "json_depth_exceeds",
    "open_regular",
    "parse_json",
    "read_bytes",
    "read_json",
    "read_text",
]

#: The most a configuration file (a manifest, a secret ...) may hold.
MAX_TEXT_BYTES = 256 * 1024
#: The most a dbt artifact may hold: far above the manifest of a project of
#: tens of thousands of models, far below what exhausts a machine.
MAX_ARTIFACT_BYTES = 2 * 1024**3
#: The deepest JSON nesting read. dbt's artifacts nest a dozen levels; a
#: user's ``meta`` a few more. Python's own reader fails near 1,000.
MAX_JSON_DEPTH = 512

_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO with no writer must not block the open
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)  # opening a terminal must not make it ours
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
# A JSON text cut down to its quotes and brackets, escapes dropped first.
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'"[]{}')
_BRACKETED_STRING = re.compile(rb'"[^"]*"')


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, for a message (``a FIFO (named pipe)`` ...).

    Examples:
        >>> file_kind(stat.S_IFIFO | 0o644)
        'a FIFO (named pipe)'
    """
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _os_error(path: Path | str, exc: OSError) -> UnreadableFile:
    reason = exc.strerror or type(exc).__name__
    return UnreadableFile(path, f"cannot read: {reason}", os_error=reason, errno=exc.errno)


@contextmanager
def open_regular(
    path: Path | str,
    *,
    what: str = "file",
    dir_fd: int | None = None,
    follow_symlinks: bool = True,
) -> Iterator[BinaryIO]:
    """Open a regular file for reading, refusing anything else without blocking.

    Args:
        path: The file (relative to ``dir_fd`` when given).
        what: What the file should be, for the message (``manifest`` ...).
        dir_fd: A directory descriptor ``path`` is relative to.
        follow_symlinks: False refuses a symbolic link as the last component.

    Yields:
        The open binary file.

    Raises:
        UnreadableFile: It does not exist, cannot be opened, or is not a
            regular file (checked on the opened descriptor).
    """
    flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        descriptor = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError as exc:  # pragma: no cover - fstat of an open descriptor
        os.close(descriptor)
        raise _os_error(path, exc) from None
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = file_kind(mode)
        fact = (
            "is not a regular file"
            if kind == "not a regular file"
            else f"is {kind}, not a regular file"
        )
        raise UnreadableFile(path, f"{fact}; give the path of the {what} itself", fact=fact)
    with os.fdopen(descriptor, "rb") as handle:
        yield handle


def _size(limit: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if limit >= size:
            return f"{limit / size:g} {unit}"
    return f"{limit} bytes"


def read_bytes(
    path: Path | str,
    *,
    limit: int,
    what: str = "file",
    dir_fd: int | None = None,
    follow_symlinks: bool = True,
) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    Args:
        path: The file (relative to ``dir_fd`` when given).
        limit: The most bytes accepted.
        what: What the file should be, for messages.
        dir_fd: A directory descriptor ``path`` is relative to.
        follow_symlinks: False refuses a symbolic link as the last component.

    Returns:
        Its content.

    Raises:
        UnreadableFile: See :func:`open_regular`; or it is larger than ``limit``.
    """
    with open_regular(path, what=what, dir_fd=dir_fd, follow_symlinks=follow_symlinks) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:  # a regular file that fails to read (EIO, EISDIR on odd mounts)
            raise _os_error(path, exc) from None
    if len(data) > limit:
        fact = f"is larger than {_size(limit)}, the most a {what} may be"
        raise UnreadableFile(path, f"{fact}: is this the right file?", fact=fact)
    return data


def decode_utf8(data: bytes, *, source: Path | str = "the text") -> str:
    """Decode UTF-8 (a byte-order mark removed), naming UTF-16 and the first bad byte.

    Args:
        data: The bytes.
        source: Where they come from, for the message (a path).

    Raises:
        UnreadableFile: The bytes are not UTF-8 text.
    """
    if data.startswith(_UTF16_MARKS):
        raise UnreadableFile(source, "is UTF-16 text; save it as UTF-8", fact="is UTF-16 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fact = f"is not UTF-8 text (byte {exc.start} cannot be decoded)"
        raise UnreadableFile(source, f"{fact}; save it as UTF-8", fact=fact) from None


def read_text(path: Path | str, *, limit: int = MAX_TEXT_BYTES, what: str = "file") -> str:
    """Read a small UTF-8 text file.

    Args:
        path: The file.
        limit: The most bytes accepted.
        what: What the file should be, for messages (``manifest`` ...).

    Returns:
        The text, a UTF-8 byte-order mark removed.

    Raises:
        UnreadableFile: Missing, unreadable, not a regular file, too large or not UTF-8.
    """
    return decode_utf8(read_bytes(path, limit=limit, what=what), source=path)


def json_depth_exceeds(data: bytes, depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than ``depth``.

    Only the brackets outside strings count, and all the work runs in C:
    escapes are dropped, the text is cut down to its quotes and brackets,
    adjacent quotes (an empty string, or the gap between two strings with
    no bracket in it) are dropped, the strings left are taken out whole. A
    run of more than ``depth`` openers answers at once; otherwise each pass
    removes the innermost empty pairs, one level (a pair a pass uncovers
    waits for the next), so a document needs as many passes as it is deep.
    Brackets that do not pair up are left for the JSON reader to refuse,
    with a position.
    """
    if len(data) <= depth:
        return False  # not even room for that many openers
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = data.translate(None, _NOT_SKELETON).replace(b'""', b"")
    brackets = _BRACKETED_STRING.sub(b"", skeleton)
    run = re.compile(rb"[\[{]{%d}" % (depth + 1))
    for _ in range(depth):
        if not brackets:
            return False
        if run.search(brackets):
            return True
        # Marked first, then removed: "{[]}" loses "[]" in this pass, "{}" in the next.
        inner = brackets.replace(b"[]", b".").replace(b"{}", b".").replace(b".", b"")
        if inner == brackets:
            return False  # they do not pair up: not JSON
        brackets = inner
    return bool(brackets)


def parse_json(
    data: bytes, *, max_depth: int | None = MAX_JSON_DEPTH, source: Path | str = "the text"
) -> Any:
    """Parse a JSON document from bytes, refusing what Python's reader would crash on.

    Args:
        data: The document, UTF-8.
        max_depth: The deepest nesting accepted, checked before parsing
            (:func:`json_depth_exceeds`). None skips that check for a document
            already checked once (a cache entry floe wrote): nesting too deep
            for Python's reader is then refused when it is met.
        source: Where it comes from, for the message (a path).

    Returns:
        The parsed value.

    Raises:
        UnreadableFile: Not UTF-8, not JSON, or nested too deep.
    """
    text = decode_utf8(data, source=source)
    if max_depth is not None and json_depth_exceeds(data, max_depth):
        fact = f"is JSON nested more than {max_depth} levels deep"
        raise UnreadableFile(source, f"{fact}: is this the right file?", fact=fact)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(source, f"is not valid JSON ({exc})") from None
    except RecursionError:
        fact = "is JSON nested too deeply for Python to read"
        raise UnreadableFile(source, f"{fact}: is this the right file?", fact=fact) from None


def read_json(
    path: Path | str,
    *,
    limit: int = MAX_ARTIFACT_BYTES,
    what: str = "file",
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Read a JSON file: :func:`read_bytes`, then :func:`parse_json`.

    Raises:
        UnreadableFile: See both.
    """
    return parse_json(read_bytes(path, limit=limit, what=what), max_depth=max_depth, source=path)
