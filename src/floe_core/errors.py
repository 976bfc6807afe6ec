"""Every error floe-dbt raises, in one hierarchy under :class:`DBTError`.

A model or test that fails is a *result*, never one of these. These are raised
when dbt cannot run at all, so a caller can tell "the data is wrong" from "the
platform is broken"::

    DBTError
    ├── DBTConfigurationError
    │   ├── PluginLoadError
    │   └── ManifestError
    ├── DBTCompilationError
    ├── DBTExecutionError
    │   ├── DBTExecutionTimeout
    │   └── DBTRemoteError
    │       └── DBTAuthenticationError
    ├── DBTArtifactNotFoundError
    └── UnreadableFile

:class:`UnreadableFile` is what :mod:`floe_core.files` raises; floe turns it
into the error of what was being read (a missing artifact, an invalid
manifest, an unusable secret ...) before it reaches a caller.
"""

from __future__ import annotations

import errno as errno_codes
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DBTArtifactNotFoundError",
    "DBTAuthenticationError",
    "DBTCompilationError",
    "DBTConfigurationError",
    "DBTError",
    "DBTExecutionError",
    "DBTExecutionTimeout",
    "DBTRemoteError",
    "ManifestError",
    "ManifestProblem",
    "PluginLoadError",
    "UnreadableFile",
]


class DBTError(Exception):
    """Base class of every error a dbt runtime or floe itself raises."""


class DBTConfigurationError(DBTError):
    """The platform configuration, a secret or a runtime prerequisite is wrong."""


class PluginLoadError(DBTConfigurationError):
    """A plugin is not installed, fails to import, or is not the right kind of class."""


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong with a configuration file: where it is and what to do.

    Attributes:
        location: The dotted key, e.g. ``plugins.dbt_runtime_config.acme.region``;
            ``(file)`` for a problem of the file itself.
        line: The 1-based line of the key (of its closest parent when it is missing).
        message: What is wrong and the fix; it never quotes a value that could be a secret.
    """

    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location} (line {self.line})" if self.line else self.location
        return f"{where}: {self.message}"


class ManifestError(DBTConfigurationError):
    """A configuration file is missing, unreadable or invalid.

    The message lists the first :attr:`LISTED` problems and counts the rest, so
    a file with thousands of mistakes still gives a message a person can read.

    Attributes:
        path: The file.
        problems: Every problem found, in file order.
    """

    LISTED = 20

    def __init__(self, path: Path, problems: list[ManifestProblem]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems[: self.LISTED])
        hidden = len(problems) - self.LISTED
        if hidden > 0:
            listing += f"\n  ... and {hidden} more problem(s)"
        super().__init__(f"{path} is not a valid manifest:\n{listing}")


class DBTCompilationError(DBTError):
    """dbt could not parse or compile the project."""


class DBTExecutionError(DBTError):
    """dbt could not execute the command (not a failed model or test: those are results)."""


class DBTExecutionTimeout(DBTExecutionError):
    """A dbt invocation, a lock wait or a remote run exceeded its time limit."""


class DBTRemoteError(DBTExecutionError):
    """A remote runtime's API answered with an error.

    Attributes:
        status_code: The HTTP status, when there was a response.
        run_id: The remote run concerned, when known.
        user_message: The service's own message for people, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        run_id: int | str | None = None,
        user_message: str | None = None,
    ) -> None:
        details = []
        if run_id is not None:
            details.append(f"run {run_id}")
        if status_code is not None:
            details.append(f"HTTP {status_code}")
        if user_message:
            details.append(f"the API says: {user_message}")
        super().__init__(f"{message} ({'; '.join(details)})" if details else message)
        self.status_code = status_code
        self.run_id = run_id
        self.user_message = user_message


class DBTAuthenticationError(DBTRemoteError):
    """The remote runtime refused the credentials (HTTP 401 or 403)."""


class DBTArtifactNotFoundError(DBTError):
    """An artifact (manifest.json, run_results.json, ...) does not exist yet or was not produced."""


class UnreadableFile(DBTError):
    """A file cannot be used as what it should be (:mod:`floe_core.files`).

    Attributes:
        path: The file.
        reason: Why, and what to do, as the end of a sentence about the file
            (``is UTF-16 text; save it as UTF-8``).
        fact: Only what is wrong, as a clause about the file without the
            advice (``is UTF-16 text``); the operating system's reason
            (``Permission denied``) when it could not be opened or read.
        os_error: The operating system's reason in that case, else None.
        errno: The operating system's error number in that case, else None.
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        fact: str | None = None,
        os_error: str | None = None,
        errno: int | None = None,
    ) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason
        self.os_error = os_error
        self.errno = errno
        self.fact = fact or os_error or reason

    @property
    def missing(self) -> bool:
        """True when there is no file at all (as opposed to one that cannot be used)."""
        return self.errno == errno_codes.ENOENT
