"""The error model shared by every dbt runtime.

A model or test that fails is a *result*, never one of these. These are raised
when dbt cannot run at all, so a caller can tell "the data is wrong" from "the
platform is broken".
"""

from __future__ import annotations


class DBTError(Exception):
    """Base class of every error a dbt runtime raises."""


class DBTConfigurationError(DBTError):
    """The platform configuration, a secret or a runtime prerequisite is wrong."""


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
            details.append(f"dbt Cloud says: {user_message}")
        super().__init__(f"{message} ({'; '.join(details)})" if details else message)
        self.status_code = status_code
        self.run_id = run_id
        self.user_message = user_message


class DBTAuthenticationError(DBTRemoteError):
    """The remote runtime refused the credentials (HTTP 401 or 403)."""


class DBTArtifactNotFoundError(DBTError):
    """An artifact (manifest.json, run_results.json, ...) does not exist yet or was not produced."""
