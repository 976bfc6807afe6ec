"""The numbers of the HTTP layer, each bounded once (:mod:`floe_core.bounds`).

A request timeout of ``None`` or ``inf`` waits forever on a server that
never answers; a retry delay of ``1e12`` never retries. The Admin API and
Discovery clients, and :class:`~floe_dbt_cloud.retry.RetryPolicy`, check
theirs against these models when they are built.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field

from floe_core.bounds import RequestTimeoutSeconds, RetryDelaySeconds, checked
from floe_core.errors import DBTConfigurationError

__all__ = ["HttpTimeouts", "RetrySettings", "checked_timeout"]


class HttpTimeouts(BaseModel):
    """The four timeouts of one request (``httpx.Timeout``), each finite."""

    model_config = ConfigDict(frozen=True)

    connect: RequestTimeoutSeconds
    read: RequestTimeoutSeconds
    write: RequestTimeoutSeconds
    pool: RequestTimeoutSeconds


class RetrySettings(BaseModel):
    """How long to wait before each retry, and the longest ``Retry-After`` obeyed."""

    model_config = ConfigDict(frozen=True)

    delays: tuple[RetryDelaySeconds, ...] = Field(max_length=10)
    max_retry_after: RetryDelaySeconds


def checked_timeout(timeout: httpx.Timeout, *, field: str = "http_timeout") -> httpx.Timeout:
    """Return ``timeout`` if each of its four parts is a bounded number of seconds.

    Raises:
        DBTConfigurationError: It is not an ``httpx.Timeout``, or a part is
            ``None`` (no timeout: a silent server would hang the call), infinite,
            not positive or longer than an hour; the message names the part.
    """
    if not isinstance(timeout, httpx.Timeout):
        raise DBTConfigurationError(
            f"{field} must be an httpx.Timeout, got {type(timeout).__name__}"
        )
    checked(
        HttpTimeouts,
        prefix=f"{field}.",
        connect=timeout.connect,
        read=timeout.read,
        write=timeout.write,
        pool=timeout.pool,
    )
    return timeout
