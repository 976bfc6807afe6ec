"""``dbt_runtime_config.cloud``: the dbt Cloud runtime's own configuration model.

:attr:`DBTCloudPlugin.config_model <floe_dbt_cloud.DBTCloudPlugin.config_model>`
names it, and the registry validates the manifest's ``cloud`` section with it.
``account_id``, ``api_token_ref`` and ``job_ids`` have no default, so the
section is required when ``dbt_runtime: cloud``. The token is never in the
file: ``api_token_ref`` is a :class:`~floe_core.schemas.SecretReference`, and
a literal ``api_token`` key is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from floe_core.bounds import CacheTtlHours, PollIntervalSeconds, RemoteId, RunTimeoutSeconds
from floe_core.schemas import ConfigSection, SecretReference

__all__ = ["DEFAULT_CLOUD_BASE_URL", "CloudRuntimeConfig", "JobIds"]

DEFAULT_CLOUD_BASE_URL = "https://cloud.getdbt.com/api/v2"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# dbt Cloud ids are 64-bit integers.
_Id = RemoteId


class JobIds(ConfigSection):
    """The dbt Cloud jobs that carry out each command (never hard-coded, REQ-088)."""

    compile: _Id
    run: _Id
    test: _Id
    # The lifecycle capability's commands go out as steps_override, so any job of
    # the environment can carry them; left out, the run job does (floe_dbt_cloud.jobs).
    seed: _Id | None = None
    snapshot: _Id | None = None
    build: _Id | None = None


class CloudRuntimeConfig(ConfigSection):
    """``dbt_runtime_config.cloud``: dbt Cloud Admin API v2 and Discovery API.

    Every duration is bounded (:mod:`floe_core.bounds`, the same bounds the
    constructor of :class:`~floe_dbt_cloud.DBTCloudPlugin` checks): a value
    that would never end (``.inf``, ``1e12``) or poll without pause
    (``1e-300``) is refused here rather than hanging a run, flooding the API
    or overflowing a date.
    """

    account_id: str = Field(pattern=r"^[0-9]+$", max_length=20)
    api_token_ref: Annotated[str, SecretReference(kind="token", example="dbt-cloud-api-token")]
    base_url: str = DEFAULT_CLOUD_BASE_URL
    discovery_url: str | None = None
    environment_id: _Id | None = None
    job_ids: JobIds
    poll_interval_seconds: PollIntervalSeconds = Field(
        5, description="The longest wait between two status checks (0.05 s to an hour)."
    )
    timeout_seconds: RunTimeoutSeconds = Field(
        3600, description="How long a run may take (at most a week)."
    )
    cache_ttl_hours: CacheTtlHours = Field(
        24, description="How long cached artifacts are served (at most a year)."
    )
    cache_dir: Path = Path(".floe/dbt-cloud-cache")

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id_as_text(cls, value: Any) -> Any:
        # YAML reads `account_id: 12345` as an int; the API path wants the digits.
        # (floe reads `012345` as the text it is, never as an octal number.)
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("base_url", "discovery_url")
    @classmethod
    def _url_is_https(cls, value: str | None) -> str | None:
        return None if value is None else checked_url(value)


def checked_url(value: str) -> str:
    """Check a dbt Cloud URL: absolute, https (http only on loopback), no credentials in it.

    Args:
        value: ``base_url`` or ``discovery_url``.

    Returns:
        The URL without a trailing ``/``.

    Raises:
        ValueError: What is wrong, never quoting the URL (it may hold a token).
    """
    absolute = "must be an absolute URL such as https://cloud.getdbt.com/api/v2"
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
    except (TypeError, ValueError, AttributeError):
        raise ValueError(absolute) from None
    if hostname is None or parts.scheme not in {"https", "http"}:
        raise ValueError(absolute)
    if "@" in parts.netloc:
        # Never echoed: what sits before the '@' is a user name and a token.
        raise ValueError(
            "must not carry credentials (user:token@ before the host); store the token in "
            "the secrets backend and set api_token_ref to its reference"
        )
    if parts.scheme == "http" and hostname not in _LOOPBACK_HOSTS:
        raise ValueError("must use https (plain http is only accepted for a loopback emulator)")
    return value.rstrip("/")
