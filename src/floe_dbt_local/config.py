"""``dbt_runtime_config.local``: the local runtime's own configuration model.

:attr:`LocalDBTPlugin.config_model <floe_dbt_local.LocalDBTPlugin.config_model>`
names it, and the registry validates the manifest's ``local`` section with it.
Every field has a default, so the section is optional.

``dbt_version``, ``python_version`` and ``parallel_execution`` (the spec's
example sets them) are deprecated: nothing ever read them. A section that
still has them loads, with a ``FutureWarning`` naming them, and they are
dropped; ``parallel_execution`` other than ``false`` is still refused.
"""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from floe_core.bounds import LockTimeoutSeconds
from floe_core.schemas import ConfigSection

__all__ = ["DEPRECATED_SETTINGS", "LocalRuntimeConfig"]

#: Settings a ``local`` section may still have: deprecated, read by nothing, dropped.
DEPRECATED_SETTINGS = ("dbt_version", "python_version", "parallel_execution")


class LocalRuntimeConfig(ConfigSection):
    """``dbt_runtime_config.local``: in-process dbt-core."""

    lock_timeout_seconds: LockTimeoutSeconds = Field(
        3600,
        description="How long an invocation waits for the class-level lock (at most a day).",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_deprecated(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = [name for name in DEPRECATED_SETTINGS if name in data]
        if not given:
            return data
        if data.get("parallel_execution", False) is not False:
            raise PydanticCustomError(
                "parallel_execution",
                "parallel_execution can only be false: dbtRunner is not thread-safe (REQ-093); "
                "the setting is deprecated and read by nothing, remove it",
            )
        one = len(given) == 1
        warnings.warn(
            f"dbt_runtime_config.local: {', '.join(given)} {'is' if one else 'are'} "
            f"deprecated and read by nothing; remove {'it' if one else 'them'} from manifest.yaml",
            FutureWarning,
            stacklevel=2,
        )
        return {key: value for key, value in data.items() if key not in DEPRECATED_SETTINGS}
