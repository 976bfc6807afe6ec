"""floe-dbt core: the runtime-agnostic contract, configuration and plugin registry.

Nothing under ``floe_core`` imports dbt-core, httpx or dagster, so platform code
and the compliance kit can use it with no runtime installed.
"""

from floe_core.errors import (
    DBTCompilationError,
    DBTConfigurationError,
    DBTError,
    DBTExecutionError,
    DBTExecutionTimeout,
)
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, OrchestratorPlugin, SecretsPlugin

__all__ = [
    "DBTCompilationError",
    "DBTConfigurationError",
    "DBTError",
    "DBTExecutionError",
    "DBTExecutionTimeout",
    "DBTPlugin",
    "DBTRunResult",
    "OrchestratorPlugin",
    "SecretsPlugin",
]
