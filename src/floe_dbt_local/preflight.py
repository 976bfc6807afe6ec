"""The paths a local invocation is given, checked before it waits for the lock.

dbt gets ``--project-dir`` and ``--profiles-dir`` as absolute paths, each one
argument of its own, so no path can read as a flag (a project in a directory
called ``--full-refresh`` is just a directory). What dbt would fail on with a
bare ``NotADirectoryError`` or ``UnicodeDecodeError`` (no file named, no fix)
is refused here, with the error type dbt's own failure maps to
(:class:`~floe_core.errors.DBTExecutionError`: dbt could not run), a message
that says what is wrong, where, and how to fix it, and before the caller
waits for the process-wide lock.
"""

from __future__ import annotations

import os
from pathlib import Path

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTConfigurationError,
    DBTError,
    DBTExecutionError,
    UnreadableFile,
)
from floe_core.files import read_bytes
from floe_dbt_local.layout import PROJECT_FILE_LIMIT, ProjectLayout
from floe_dbt_local.project_files import check_project_files

__all__ = ["artifact_layout", "checked_directory", "invocation_paths", "project_layout"]

_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def invocation_paths(command: str, project_dir: object, profiles_dir: object) -> tuple[Path, Path]:
    """Resolve and check the project and profiles directories of one dbt invocation.

    A directory that does not exist, or a project without ``dbt_project.yml``,
    passes: dbt reports those itself, as it always has.

    Args:
        command: The dbt command (``run``, ``seed`` ...), for the message.
        project_dir: The directory holding ``dbt_project.yml``.
        profiles_dir: The directory holding ``profiles.yml``.

    Returns:
        Both directories, absolute.

    Raises:
        DBTConfigurationError: A value is not a path at all (not str or
            ``os.PathLike``, or it holds a NUL character).
        DBTExecutionError: A directory is a file; ``dbt_project.yml`` or
            ``profiles.yml`` is not a regular file or not UTF-8 text.
    """
    action = f"cannot run `dbt {command}`"
    project = checked_directory(project_dir, "project_dir", "dbt_project.yml", action=action)
    profiles = checked_directory(profiles_dir, "profiles_dir", "profiles.yml", action=action)
    _check_text_file(project / "dbt_project.yml", action)
    _check_text_file(profiles / "profiles.yml", action)
    return project, profiles


def project_layout(command: str, project_dir: Path) -> ProjectLayout:
    """The layout of a checked project, every file dbt would read checked to be a file.

    Args:
        command: The dbt command, for the message.
        project_dir: The project directory from :func:`invocation_paths`.

    Returns:
        Its layout.

    Raises:
        DBTExecutionError: A file dbt reads is a FIFO, a device or a socket
            (:func:`~floe_dbt_local.project_files.check_project_files`).
    """
    layout = ProjectLayout.read(project_dir)
    check_project_files(layout, command)
    return layout


def artifact_layout(project_dir: object, artifact: str) -> ProjectLayout:
    """The layout of a project whose artifacts are read (no dbt invocation).

    Raises:
        DBTArtifactNotFoundError: ``project_dir`` is a file, so nothing can be read there.
        DBTConfigurationError: ``project_dir`` is not a path at all.
    """
    directory = checked_directory(
        project_dir,
        "project_dir",
        "dbt_project.yml",
        action=f"cannot read {artifact}",
        error=DBTArtifactNotFoundError,
    )
    return ProjectLayout.read(directory)


def checked_directory(
    value: object,
    field: str,
    holds: str,
    *,
    action: str,
    error: type[DBTError] = DBTExecutionError,
) -> Path:
    """Resolve a directory argument, refusing one that is a file.

    Args:
        value: What the caller passed.
        field: Its parameter name, for the message.
        holds: The file the directory should hold, for the fix.
        action: What cannot be done, for the message (``cannot run `dbt run```).
        error: The error raised when the path is a file or cannot be resolved.

    Returns:
        The directory, absolute (it may not exist).

    Raises:
        DBTConfigurationError: ``value`` is not a path at all.
        DBTError: ``error``, when the path is a file or cannot be resolved.
    """
    try:
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(value)
        path = Path(value)  # a PathLike of bytes raises TypeError too
    except TypeError:
        raise DBTConfigurationError(
            f"{field} must be a path (str or os.PathLike), got {type(value).__name__}"
        ) from None
    if "\x00" in str(path):
        raise DBTConfigurationError(f"{field} holds a NUL character: it cannot be a path")
    try:
        resolved = path.resolve()
        is_file = resolved.exists() and not resolved.is_dir()
    except (OSError, RuntimeError) as exc:  # a loop of links (RuntimeError before 3.13)
        raise error(
            f"{action}: {field} {path} cannot be resolved ({exc}); "
            f"pass the directory that holds {holds}"
        ) from exc
    if is_file:
        example = f" (here: {field}={resolved.parent})" if resolved.name == holds else ""
        raise error(
            f"{action}: {field} {resolved} is a file, not a directory; "
            f"pass the directory that holds {holds}{example}"
        )
    return resolved


def _check_text_file(path: Path, action: str) -> None:
    """Refuse a project or profiles file dbt cannot read as UTF-8 text; leave the rest to dbt."""
    try:
        # Opened without blocking and checked on the descriptor (a FIFO is refused unread).
        data = read_bytes(path, limit=PROJECT_FILE_LIMIT, what=path.name)
    except UnreadableFile as exc:
        if exc.errno is not None:
            return  # missing or unreadable: dbt says so, naming the file
        if exc.fact.startswith("is larger than"):
            raise DBTExecutionError(f"{action}: {path} {exc.reason}") from None
        raise DBTExecutionError(
            f"{action}: {path} is not a regular file (a directory, FIFO or device); "
            f"dbt reads it as YAML text: replace it with a {path.name} file"
        ) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith(_UTF16_MARKS):
            found = "is UTF-16 text (it starts with a UTF-16 byte-order mark)"
            convert = " (e.g. iconv -f UTF-16 -t UTF-8)"
        else:
            found = f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
            convert = ""
        raise DBTExecutionError(
            f"{action}: {path} {found}, and dbt reads it as UTF-8 only; save it as UTF-8{convert}"
        ) from exc
