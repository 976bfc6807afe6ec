"""The cloud runtime's settings, checked as ``manifest.yaml``'s ``cloud`` section checks them.

:class:`~floe_dbt_cloud.DBTCloudPlugin` may be built from ``manifest.yaml``
(:meth:`~floe_dbt_cloud.DBTCloudPlugin.from_config`) or by hand; either way
its settings pass the same checks here: the bounds of the configuration
model's fields, a numeric account id, URLs without credentials, job ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr

from floe_core.bounds import checked
from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import SecretsPlugin
from floe_dbt_cloud.config import CloudRuntimeConfig, checked_url
from floe_dbt_cloud.discovery import default_discovery_url
from floe_dbt_cloud.jobs import JobPlan

__all__ = ["CloudSettings", "config_arguments"]

_ACCOUNT_ID = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class CloudSettings:
    """Every setting of a cloud runtime, checked.

    Attributes:
        account_id: The dbt Cloud account (digits).
        base_url: The account's access URL plus ``/api/v2``, without a trailing ``/``.
        discovery_url: The Discovery GraphQL endpoint, if one is known.
        jobs: The job of every command.
        poll_interval_seconds: The longest wait between two status checks.
        timeout_seconds: How long a run may take before it is cancelled.
        cache_ttl_hours: How long cached artifacts are served.
        environment_id: The environment whose metadata Discovery reads, if given.
    """

    account_id: str
    base_url: str
    discovery_url: str | None
    jobs: JobPlan
    poll_interval_seconds: float
    timeout_seconds: float
    cache_ttl_hours: float
    environment_id: int | None

    @classmethod
    def check(
        cls,
        account_id: str,
        api_token: SecretStr,
        base_url: str,
        job_ids: BaseModel | Mapping[str, int | None] | None,
        *,
        poll_interval_seconds: float,
        timeout_seconds: float,
        cache_ttl_hours: float,
        discovery_url: str | None,
        environment_id: int | None,
    ) -> CloudSettings:
        """Check the constructor's arguments (see :class:`~floe_dbt_cloud.DBTCloudPlugin`).

        Raises:
            DBTConfigurationError: The token is not a ``SecretStr``, the job ids
                are missing or not ids, the account id is not digits, a URL is
                not an https URL without credentials, or a number is outside
                the bounds of ``manifest.yaml``.
        """
        if not isinstance(api_token, SecretStr):
            raise DBTConfigurationError(
                "api_token must be a pydantic SecretStr (resolve api_token_ref through the "
                "SecretsPlugin), not a plain string"
            )
        jobs = JobPlan.parse(job_ids)
        if not _ACCOUNT_ID.fullmatch(str(account_id)):
            raise DBTConfigurationError(
                f"account_id must be the numeric dbt Cloud account id, got {str(account_id)[:40]!r}"
            )
        # The bounds of manifest.yaml, checked by the same fields of the same model.
        bounded = checked(
            CloudRuntimeConfig,
            poll_interval_seconds=poll_interval_seconds,
            timeout_seconds=timeout_seconds,
            cache_ttl_hours=cache_ttl_hours,
            environment_id=environment_id,
        )
        base = _url("base_url", base_url)
        return cls(
            account_id=str(account_id),
            base_url=base,
            discovery_url=(
                _url("discovery_url", discovery_url)
                if discovery_url is not None
                else default_discovery_url(base)
            ),
            jobs=jobs,
            poll_interval_seconds=bounded["poll_interval_seconds"],
            timeout_seconds=bounded["timeout_seconds"],
            cache_ttl_hours=bounded["cache_ttl_hours"],
            environment_id=bounded["environment_id"],
        )


def config_arguments(config: BaseModel | None, secrets: SecretsPlugin | None) -> dict[str, Any]:
    """The constructor's arguments for ``dbt_runtime_config.cloud``, the token resolved.

    Raises:
        DBTConfigurationError: The section or the secrets backend is missing,
            or the token cannot be resolved.
    """
    if not isinstance(config, CloudRuntimeConfig):
        raise DBTConfigurationError(
            "the cloud runtime needs a dbt_runtime_config.cloud section in manifest.yaml "
            "(account_id, api_token_ref, job_ids)"
        )
    if secrets is None:
        raise DBTConfigurationError(
            "the cloud runtime needs a secrets backend to resolve api_token_ref; "
            "configure plugins.secrets"
        )
    return {
        "account_id": config.account_id,
        "api_token": secrets.get_secret(config.api_token_ref),
        "base_url": config.base_url,
        "job_ids": config.job_ids,
        "poll_interval_seconds": config.poll_interval_seconds,
        "timeout_seconds": config.timeout_seconds,
        "cache_ttl_hours": config.cache_ttl_hours,
        "cache_dir": config.cache_dir,
        "discovery_url": config.discovery_url,
        "environment_id": config.environment_id,
    }


def _url(field: str, value: str) -> str:
    # The constructor refuses what the config model refuses: a token in a URL
    # would reach the repr, the metadata and every error message.
    try:
        return checked_url(value)
    except ValueError as exc:
        raise DBTConfigurationError(f"{field} {exc}") from None
