"""Which failed requests are worth repeating, and how long to wait before doing so.

Only what can succeed on a second try is retried: 429 (rate limited), 5xx
(dbt Cloud busy or deploying) and transport errors (connection refused, reset,
timed out). 401/403/404 and every other 4xx are answers, not accidents:
repeating them only delays the error a person has to fix.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from floe_core.bounds import checked
from floe_dbt_cloud.http_limits import RetrySettings

__all__ = ["RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header: delay-seconds or an HTTP date.

    Args:
        value: The header value, if the response had one.
        now: The current time, for HTTP dates (tests pass a fixed one).

    Returns:
        Seconds to wait (never negative), or None when absent or unreadable.

    Examples:
        >>> parse_retry_after("7")
        7.0
        >>> parse_retry_after("soon") is None
        True
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Three retries after 2, 4 and 8 seconds (REQ-088), ``Retry-After`` first.

    Raises:
        DBTConfigurationError: A delay is not a number of seconds from 0 to an
            hour, or there are more than ten.

    Attributes:
        delays: The wait before each retry; its length is the number of retries.
        max_retry_after: The longest ``Retry-After`` honoured. dbt Cloud's
            rate-limit cool-down is five minutes, so that is the default cap;
            a larger value is clamped rather than obeyed blindly.
    """

    delays: tuple[float, ...] = (2.0, 4.0, 8.0)
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        # Bounded once (floe_dbt_cloud.http_limits): a delay of 1e12 never retries.
        checked(RetrySettings, delays=self.delays, max_retry_after=self.max_retry_after)

    @property
    def attempts(self) -> int:
        """How many times a request is sent at most."""
        return len(self.delays) + 1

    def should_retry_response(self, response: httpx.Response) -> bool:
        """True for 429 and the 5xx answers that mean "try again later"."""
        return response.status_code in RETRYABLE_STATUS_CODES

    def delay(self, retry_number: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (0-based).

        Args:
            retry_number: 0 for the first retry.
            response: The failed response, whose ``Retry-After`` wins when present.

        Returns:
            The wait in seconds.
        """
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                return min(retry_after, self.max_retry_after)
        return self.delays[retry_number]
