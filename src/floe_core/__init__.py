"""floe-dbt core: the runtime-agnostic contract, configuration and plugin registry.

Nothing under ``floe_core`` imports dbt-core, httpx, Dagster or a runtime, so
platform code, vendors' runtimes and the compliance kit can use it with no
runtime installed.

**What is public.** The names in ``floe_core.__all__`` are the API: import
them from ``floe_core`` (each also lives in the module the reference page
documents it in: ``floe_core.errors``, ``floe_core.plugin_interfaces``,
``floe_core.lifecycle``, ``floe_core.selectors``, ``floe_core.schemas``,
``floe_core.bounds``, ``floe_core.plugin_registry``, ``floe_core.secrets``,
``floe_core.artifacts``, ``floe_core.files``, ``floe_core.redaction``,
``floe_core.telemetry``, ``floe_core.events``).
Everything else is private and may change in any release: modules whose
names start with ``_``, names that start with ``_``, and ``floe_core.cli``
(use the ``floe`` command, not the module).

Every error floe raises is a :class:`DBTError`; they all live in
:mod:`floe_core.errors`.
"""

from floe_core.artifacts import (
    FAILURE_STATUSES,
    NodeFailure,
    RunCounts,
    count_run_results,
    failed_nodes,
    read_json_artifact,
)
from floe_core.bounds import (
    CacheTtlHours,
    LockTimeoutSeconds,
    PollIntervalSeconds,
    RemoteId,
    RequestTimeoutSeconds,
    RetryDelaySeconds,
    RunTimeoutSeconds,
    bounds_of,
    checked,
)
from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTAuthenticationError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTError,
    DBTExecutionError,
    DBTExecutionTimeout,
    DBTRemoteError,
    ManifestError,
    ManifestProblem,
    PluginLoadError,
    UnreadableFile,
)
from floe_core.events import DBT_LEVELS, EVENT_FIELDS, DbtEvent, event_of, log_dbt_event
from floe_core.files import (
    MAX_ARTIFACT_BYTES,
    MAX_JSON_DEPTH,
    MAX_TEXT_BYTES,
    decode_utf8,
    file_kind,
    json_depth_exceeds,
    open_regular,
    parse_json,
    read_bytes,
    read_json,
    read_text,
)
from floe_core.lifecycle import (
    LIFECYCLE_COUNT_KEYS,
    DBTLifecycle,
    LifecycleCounts,
    count_lifecycle_nodes,
    supports_lifecycle,
)
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, OrchestratorPlugin, SecretsPlugin
from floe_core.plugin_registry import (
    ENTRY_POINT_GROUPS,
    MANIFEST_ENVIRONMENT_VARIABLE,
    PluginKind,
    PluginRegistry,
)
from floe_core.redaction import (
    REDACTED,
    holds_secret,
    redact_document,
    redact_json,
    redact_text,
    redacting,
)
from floe_core.schemas import (
    ConfigSection,
    DataProductConfig,
    DbtProjectRef,
    PlatformManifest,
    PluginsConfig,
    SecretRef,
    SecretReference,
    SecretsConfig,
    secret_references,
)
from floe_core.secrets import (
    SECRET_REF_PATTERN,
    EnvSecretsConfig,
    EnvSecretsPlugin,
    FileSecretsConfig,
    FileSecretsPlugin,
    validate_secret_ref,
)
from floe_core.selectors import (
    MAX_VARS_DEPTH,
    merge_vars,
    secret_values,
    selector_members,
    validate_selector,
    validate_target,
    vars_argument,
)
from floe_core.telemetry import SPAN_PREFIX, dbt_span, record_result

__all__ = [
    "DBT_LEVELS",
    "ENTRY_POINT_GROUPS",
    "EVENT_FIELDS",
    "FAILURE_STATUSES",
    "LIFECYCLE_COUNT_KEYS",
    "MANIFEST_ENVIRONMENT_VARIABLE",
    "MAX_ARTIFACT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TEXT_BYTES",
    "MAX_VARS_DEPTH",
    "REDACTED",
    "SECRET_REF_PATTERN",
    "SPAN_PREFIX",
    "CacheTtlHours",
    "ConfigSection",
    "DBTArtifactNotFoundError",
    "DBTAuthenticationError",
    "DBTCompilationError",
    "DBTConfigurationError",
    "DBTError",
    "DBTExecutionError",
    "DBTExecutionTimeout",
    "DBTLifecycle",
    "DBTPlugin",
    "DBTRemoteError",
    "DBTRunResult",
    "DataProductConfig",
    "DbtEvent",
    "DbtProjectRef",
    "EnvSecretsConfig",
    "EnvSecretsPlugin",
    "FileSecretsConfig",
    "FileSecretsPlugin",
    "LifecycleCounts",
    "LockTimeoutSeconds",
    "ManifestError",
    "ManifestProblem",
    "NodeFailure",
    "OrchestratorPlugin",
    "PlatformManifest",
    "PluginKind",
    "PluginLoadError",
    "PluginRegistry",
    "PluginsConfig",
    "PollIntervalSeconds",
    "RemoteId",
    "RequestTimeoutSeconds",
    "RetryDelaySeconds",
    "RunCounts",
    "RunTimeoutSeconds",
    "SecretRef",
    "SecretReference",
    "SecretsConfig",
    "SecretsPlugin",
    "UnreadableFile",
    "bounds_of",
    "checked",
    "count_lifecycle_nodes",
    "count_run_results",
    "dbt_span",
    "decode_utf8",
    "event_of",
    "failed_nodes",
    "file_kind",
    "holds_secret",
    "json_depth_exceeds",
    "log_dbt_event",
    "merge_vars",
    "open_regular",
    "parse_json",
    "read_bytes",
    "read_json",
    "read_json_artifact",
    "read_text",
    "record_result",
    "redact_document",
    "redact_json",
    "redact_text",
    "redacting",
    "secret_references",
    "secret_values",
    "selector_members",
    "supports_lifecycle",
    "validate_secret_ref",
    "validate_selector",
    "validate_target",
    "vars_argument",
]
