"""``manifest.yaml``: the platform team's choice of dbt runtime and its settings (REQ-091).

Validation errors never echo a value (a mistyped key could hold a token); they
name the key, its line in the file and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from floe_core.secrets import SECRET_REF_PATTERN

__all__ = [
    "RUNTIME_NAMES",
    "CloudRuntimeConfig",
    "DBTRuntimeConfig",
    "DataProductConfig",
    "FusionRuntimeConfig",
    "JobIds",
    "LocalRuntimeConfig",
    "PlatformManifest",
    "PluginsConfig",
    "SecretsConfig",
]

RUNTIME_NAMES = ("local", "cloud", "fusion")
DEFAULT_CLOUD_BASE_URL = "https://cloud.getdbt.com/api/v2"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# dbt Cloud service and personal tokens start like this; a reference never does.
_TOKEN_PREFIXES = ("dbtc_", "dbtu_", "dbtp_")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalRuntimeConfig(_Section):
    """``dbt_runtime_config.local``: in-process dbt-core."""

    dbt_version: str | None = Field(
        None, description="Informational: the dbt-core version expected."
    )
    python_version: str | None = Field(None, description="Informational: the Python expected.")
    parallel_execution: Literal[False] = Field(
        False, description="Always false: dbtRunner is not thread-safe (REQ-093)."
    )
    lock_timeout_seconds: float = Field(
        3600, gt=0, description="How long an invocation waits for the class-level lock."
    )


class JobIds(_Section):
    """The dbt Cloud jobs that carry out each command (never hard-coded, REQ-088)."""

    compile: int = Field(gt=0)
    run: int = Field(gt=0)
    test: int = Field(gt=0)


class CloudRuntimeConfig(_Section):
    """``dbt_runtime_config.cloud``: dbt Cloud Admin API v2 and Discovery API."""

    account_id: str = Field(pattern=r"^[0-9]+$")
    api_token_ref: str
    base_url: str = DEFAULT_CLOUD_BASE_URL
    discovery_url: str | None = None
    environment_id: int | None = Field(None, gt=0)
    job_ids: JobIds
    poll_interval_seconds: float = Field(5, gt=0)
    timeout_seconds: float = Field(3600, gt=0)
    cache_ttl_hours: float = Field(24, gt=0)
    cache_dir: Path = Path(".floe/dbt-cloud-cache")

    @model_validator(mode="before")
    @classmethod
    def _refuse_literal_token(cls, data: Any) -> Any:
        if isinstance(data, dict) and "api_token" in data:
            raise ValueError(
                "api_token: a literal token is not allowed in manifest.yaml; store it in the "
                "secrets backend and set api_token_ref to its reference, e.g. "
                "api_token_ref: dbt-cloud-api-token"
            )
        return data

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id_as_text(cls, value: Any) -> Any:
        # YAML reads `account_id: 12345` as an int; the API path wants the digits.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("api_token_ref")
    @classmethod
    def _ref_is_a_reference(cls, value: str) -> str:
        looks_like_token = value.startswith(_TOKEN_PREFIXES) or (
            len(value) >= 32 and not re.search(r"[-_.]", value)
        )
        if looks_like_token:
            raise ValueError(
                "this looks like a token, not a reference; store the token in the secrets "
                "backend and put its name here, e.g. dbt-cloud-api-token"
            )
        if not SECRET_REF_PATTERN.fullmatch(value):
            raise ValueError(
                "must be a secret name: letters, digits, '-', '_' or '.', e.g. dbt-cloud-api-token"
            )
        return value

    @field_validator("base_url", "discovery_url")
    @classmethod
    def _url_is_https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise ValueError("must be an absolute URL such as https://cloud.getdbt.com/api/v2")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            raise ValueError("must use https (plain http is only accepted for a loopback emulator)")
        return value.rstrip("/")


class FusionRuntimeConfig(_Section):
    """``dbt_runtime_config.fusion``: placeholder until dbt Fusion has Python bindings."""

    rust_bindings_path: Path | None = None


class DBTRuntimeConfig(_Section):
    """``plugins.dbt_runtime_config``: one optional section per runtime."""

    local: LocalRuntimeConfig | None = None
    cloud: CloudRuntimeConfig | None = None
    fusion: FusionRuntimeConfig | None = None


class SecretsConfig(_Section):
    """``plugins.secrets``: which ``floe.secrets`` backend resolves references."""

    type: str = "env"
    config: dict[str, Any] = Field(default_factory=dict)


class PluginsConfig(_Section):
    """``plugins``: the platform team's plugin choices."""

    dbt_runtime: Literal["local", "cloud", "fusion"]
    dbt_runtime_config: DBTRuntimeConfig = Field(default_factory=DBTRuntimeConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    orchestrator: str | None = None

    @model_validator(mode="after")
    def _chosen_section_exists(self) -> PluginsConfig:
        # local runs with defaults (REQ-095's own migration example has no
        # section); cloud and fusion cannot be guessed.
        if self.dbt_runtime != "local" and self.runtime_config() is None:
            raise ValueError(
                f"dbt_runtime is {self.dbt_runtime!r} but dbt_runtime_config.{self.dbt_runtime} "
                f"is missing; add a '{self.dbt_runtime}:' section under dbt_runtime_config"
            )
        return self

    def runtime_config(self) -> BaseModel | None:
        """Return the configuration section of the chosen runtime (local gets defaults)."""
        section: BaseModel | None = getattr(self.dbt_runtime_config, self.dbt_runtime)
        if section is None and self.dbt_runtime == "local":
            return LocalRuntimeConfig()
        return section


class PlatformManifest(_Section):
    """The whole ``manifest.yaml`` a platform team writes."""

    name: str | None = None
    plugins: PluginsConfig

    @classmethod
    def from_yaml(cls, path: Path | str) -> PlatformManifest:
        """Load and validate a manifest file.

        Args:
            path: The ``manifest.yaml`` to read.

        Returns:
            The validated manifest.

        Raises:
            ManifestError: The file is missing, not YAML, or not a valid manifest;
                every problem is listed with its key and line.
        """
        from floe_core.manifest_errors import ManifestError, load_yaml_document

        path = Path(path)
        document, tree = load_yaml_document(path)
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            # `from None`: pydantic's own text echoes input values, which may be secrets.
            raise ManifestError.from_validation_error(path, exc, tree, cls) from None


class DbtProjectRef(_Section):
    """Where a data product's dbt project lives."""

    project_dir: Path = Path(".")
    profiles_dir: Path | None = None
    target: str = "dev"


class DataProductConfig(_Section):
    """A data product's own configuration: it chooses its dbt project, never the runtime."""

    name: str
    dbt: DbtProjectRef = Field(default_factory=DbtProjectRef)

    @model_validator(mode="before")
    @classmethod
    def _runtime_is_platform_decision(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nested = data.get("dbt")
            sections: list[dict[str, Any]] = [data, nested if isinstance(nested, dict) else {}]
            for key in ("dbt_runtime", "dbt_runtime_config", "plugins"):
                if any(key in section for section in sections):
                    raise ValueError(
                        f"{key}: a data product cannot choose the dbt runtime; it is a platform "
                        "team decision made in the platform manifest.yaml (plugins.dbt_runtime)"
                    )
        return data
