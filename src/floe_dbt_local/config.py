"""``dbt_runtime_config.local``: the local runtime's own configuration model.

:attr:`LocalDBTPlugin.config_model <floe_dbt_local.LocalDBTPlugin.config_model>`
names it, and the registry validates the manifest's ``local`` section with it.
Every field has a default, so the section is optional.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from floe_core.bounds import LockTimeoutSeconds
from floe_core.schemas import ConfigSection

__all__ = ["LocalRuntimeConfig"]


class LocalRuntimeConfig(ConfigSection):
    """``dbt_runtime_config.local``: in-process dbt-core."""

    dbt_version: str | None = Field(
        None, description="Informational: the dbt-core version expected."
    )
    python_version: str | None = Field(None, description="Informational: the Python expected.")
    parallel_execution: Literal[False] = Field(
        False, description="Always false: dbtRunner is not thread-safe (REQ-093)."
    )
    lock_timeout_seconds: LockTimeoutSeconds = Field(
        3600,
        description="How long an invocation waits for the class-level lock (at most a day).",
    )
