"""The settings of the kit's live mode: a real dbt Cloud account, from the environment.

Apart from :mod:`floe_dbt_cloud_emulator.kit_harness` because they are declared with
floe_core's bounded types: the harness is a ``pytest11`` plugin that every
pytest session of everyone who installs floe-dbt loads, before coverage starts,
so it imports nothing of floe's until the kit asks for ``cloud``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from floe_core.bounds import PollIntervalSeconds, RunTimeoutSeconds
from floe_core.vocabulary import CONTRACT_COMMANDS
from floe_dbt_cloud_emulator.kit_harness import LIVE_PREFIX

__all__ = ["LIVE_PREFIX", "LiveSettings"]


class LiveSettings(BaseModel):
    """Live mode's account, from ``FLOE_DBT_CLOUD_LIVE_<FIELD>`` environment variables.

    Attributes:
        account_id: ``FLOE_DBT_CLOUD_LIVE_ACCOUNT_ID``, the numeric account id.
        api_token_ref: ``FLOE_DBT_CLOUD_LIVE_API_TOKEN_REF``, a secret reference
            that the environment secrets backend resolves (``dbt-cloud-api-token``
            reads ``FLOE_SECRET_DBT_CLOUD_API_TOKEN``), as in ``manifest.yaml``.
        job_ids: ``FLOE_DBT_CLOUD_LIVE_JOB_IDS``, JSON: for each kit project the
            account's jobs run, its compile/run/test job ids, e.g.
            ``{"healthy": {"compile": 1, "run": 2, "test": 3}}``. ``healthy`` is
            required; the kit's other projects are n/a unless listed.
        base_url: ``FLOE_DBT_CLOUD_LIVE_BASE_URL``, the access URL plus ``/api/v2``
            (default dbt Cloud's multi-tenant US host).
        discovery_url: ``FLOE_DBT_CLOUD_LIVE_DISCOVERY_URL`` (default: derived).
        poll_interval_seconds: ``FLOE_DBT_CLOUD_LIVE_POLL_INTERVAL_SECONDS`` (default 5).
        timeout_seconds: ``FLOE_DBT_CLOUD_LIVE_TIMEOUT_SECONDS`` (default 3600).
    """

    account_id: str = Field(pattern=r"^[0-9]+$")
    api_token_ref: str = Field(min_length=1)
    job_ids: dict[str, dict[str, int]]
    base_url: str | None = None
    discovery_url: str | None = None
    poll_interval_seconds: PollIntervalSeconds = 5.0
    timeout_seconds: RunTimeoutSeconds = 3600.0

    @field_validator("poll_interval_seconds", "timeout_seconds", mode="before")
    @classmethod
    def _number_from_text(cls, value: Any) -> Any:
        # Environment variables are text; the bounds are manifest.yaml's own.
        try:
            return float(value) if isinstance(value, str) else value
        except ValueError:
            return value

    @field_validator("job_ids")
    @classmethod
    def _every_project_has_three_jobs(
        cls, value: dict[str, dict[str, int]]
    ) -> dict[str, dict[str, int]]:
        if "healthy" not in value:
            raise ValueError("it must name the jobs that run the kit's 'healthy' project")
        for project, jobs in value.items():
            if (
                set(jobs) != {command.name for command in CONTRACT_COMMANDS}
                or min(jobs.values()) <= 0
            ):
                raise ValueError(
                    f"project {project!r} needs positive compile, run and test job ids"
                )
        return value

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> LiveSettings:
        """Read and check the variables.

        Raises:
            ValueError: A variable is missing or wrong; the message names it and the fix.
        """
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(LIVE_PREFIX + name.upper())
            if raw:
                values[name] = raw
        if "job_ids" in values:
            try:
                values["job_ids"] = json.loads(values["job_ids"])
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{LIVE_PREFIX}JOB_IDS is not JSON ({exc.msg}); write e.g. "
                    '{"healthy": {"compile": 1, "run": 2, "test": 3}}'
                ) from None
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [
                f"{LIVE_PREFIX}{str(error['loc'][0]).upper()}: {error['msg']}"
                for error in exc.errors()
            ]
            raise ValueError(
                "live mode reads the dbt Cloud account from environment variables; "
                + "; ".join(problems)
            ) from None
