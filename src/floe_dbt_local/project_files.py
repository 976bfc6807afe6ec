"""The files of a dbt project as dbt walks them, and the ones dbt would hang on.

dbt reads every ``.sql``, ``.py``, ``.yml``, ``.yaml``, ``.csv`` and ``.md``
file under the project's source directories (models, seeds, macros,
snapshots, tests, analyses, installed packages ...). A FIFO in their place
makes dbt wait forever for a writer; a link to ``/dev/zero`` makes it read
until memory runs out; either happens while the process-wide invocation lock
is held, so every other invocation waits behind it.
:func:`check_project_files` refuses them before the lock is taken, by their
type alone (``stat``, which neither opens nor reads them).

The walk is dbt's own (``dbt_common.clients.system.find_matching``): no
following of directory links below a source directory, each package that
``dbt deps`` installed as a link walked as a project of its own. A file
whose type cannot be known (a link to itself, a directory the user may not
list) is left for dbt to report, as it always has.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from floe_core.errors import DBTExecutionError
from floe_core.files import file_kind
from floe_dbt_local.layout import PROJECT_FILES, ProjectLayout

__all__ = ["DBT_READS", "check_project_files", "source_roots", "walk"]

#: The file suffixes dbt reads under a project's source directories.
DBT_READS = frozenset({".sql", ".py", ".yml", ".yaml", ".csv", ".md"})


def source_roots(layout: ProjectLayout) -> Iterator[Path]:
    """The directories dbt walks: the source directories, and each installed package."""
    yield from layout.source_dirs
    packages = layout.packages_path
    if packages is None or not packages.is_dir():
        return
    # `dbt deps` installs a local package as a link; dbt loads it as a project
    # of its own, so its files count although the walk below does not follow links.
    try:
        entries = sorted(packages.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() and entry.is_dir():
            yield entry


def walk(directory: Path, excluded: frozenset[Path]) -> Iterator[tuple[Path, bool]]:
    """Yield (path, is a link to a directory) for every entry dbt's walk would see."""
    if directory in excluded or not directory.is_dir():
        return
    # As dbt_common.clients.system.find_matching: no following of directory
    # links (the start directory itself may be one), unreadable directories skipped.
    for root, dirs, names in os.walk(directory):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if root_path / d not in excluded)
        for name in dirs:
            if (root_path / name).is_symlink():
                yield root_path / name, True
        for name in sorted(names):
            yield root_path / name, False


def check_project_files(layout: ProjectLayout, command: str) -> None:
    """Refuse a file dbt would read that is not a regular file, before dbt is called.

    Args:
        layout: The project's directories.
        command: The dbt command about to run, for the message.

    Raises:
        DBTExecutionError: A file dbt reads (by its suffix, or a project-level
            file such as ``packages.yml``) is a FIFO, a device, a socket, or a
            link to one; the message names it and the fix.
    """
    excluded = frozenset((layout.target_path, layout.log_path))
    candidates = [layout.project_dir / name for name in PROJECT_FILES]
    for root in source_roots(layout):
        candidates.extend(
            path
            for path, is_link in walk(root, excluded)
            if not is_link and path.suffix.lower() in DBT_READS
        )
    for path in candidates:
        try:
            mode = os.stat(path).st_mode  # follows a link to what dbt would open
        except OSError:
            continue  # missing, a loop of links, unreachable: dbt says so itself
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            raise DBTExecutionError(
                f"cannot run `dbt {command}`: {path} is {file_kind(mode)}, not a regular file, "
                "and dbt would wait on it or read it without end while every other dbt "
                "invocation of this process waits; replace it with a regular file or move "
                f"it out of the project (dbt reads every {_suffixes()} file under the "
                "project's paths)"
            )


def _suffixes() -> str:
    ordered = sorted(DBT_READS)
    return ", ".join(ordered[:-1]) + f" and {ordered[-1]}"
