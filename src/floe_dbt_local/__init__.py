"""LocalDBTPlugin: dbt-core in-process through dbtRunner (REQ-087, REQ-093)."""

from floe_dbt_local.events import EVENT_LOGGER_NAME
from floe_dbt_local.locking import InvocationLock, LockHolder
from floe_dbt_local.plugin import DEFAULT_LOCK_TIMEOUT_SECONDS, LocalDBTPlugin

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_SECONDS",
    "EVENT_LOGGER_NAME",
    "InvocationLock",
    "LocalDBTPlugin",
    "LockHolder",
]
