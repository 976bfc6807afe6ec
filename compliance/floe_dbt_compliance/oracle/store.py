"""Reference outcomes memoised in files, computed once even by several xdist workers.

One JSON file per (reference, scenario key); the key covers the scenario's
steps and its project's fingerprint (:meth:`Scenario.key
<floe_dbt_compliance.scenarios.Scenario.key>`). A worker that finds no file
takes the entry's lock (``flock``), looks again, and only then computes:
every other worker waits on the lock and reads what the first one wrote.
Files are written whole (a temporary file, then a rename), so a reader never
sees half an entry.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["ReferenceStore"]

try:  # POSIX; elsewhere two workers may compute the same entry, which is only slower
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a+") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ReferenceStore:
    """A directory of memoised reference outcomes.

    Args:
        root: Where the entries go (created when missing).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.computed = 0  # entries this process computed (the rest it read)

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def fetch(self, key: str, compute: Callable[[], Any]) -> Any:
        """Return the entry ``key``, computing and storing it first when nobody has.

        Args:
            key: A file-name-safe key.
            compute: Produces a JSON-serialisable value; called at most once
                per key across the processes sharing the directory (unless it raises).
        """
        path = self.root / f"{key}.json"
        found = self._read(path)
        if found is not None:
            return found
        self.root.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / f"{key}.lock"):
            found = self._read(path)
            if found is not None:
                return found
            value = compute()
            partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps(value, default=str), encoding="utf-8")
            os.replace(partial, path)
            self.computed += 1
            return value
