"""``manifest.yaml``: the platform team's choice of dbt runtime and its settings (REQ-091).

``plugins.dbt_runtime`` names any installed ``floe.dbt`` entry point. The
manifest itself only knows the shape of the file; each runtime class declares
the pydantic model of its own ``dbt_runtime_config`` section
(:attr:`~floe_core.plugin_interfaces.DBTPlugin.config_model`), built on
:class:`ConfigSection`, and marks its secret references with
:data:`SecretRef`. The :class:`~floe_core.plugin_registry.PluginRegistry`
validates the chosen runtime's section with that model.

Validation errors never echo a value (a mistyped key could hold a token);
they name the key, its line in the file and the fix.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema

from floe_core._credentials import looks_like_credential, looks_like_name
from floe_core._manifest_problems import (
    IN_MEMORY,
    ManifestSource,
    load_config_file,
    problems_from_validation_error,
    sort_problems,
)
from floe_core.errors import ManifestError, ManifestProblem
from floe_core.secrets import SECRET_REF_PATTERN

if TYPE_CHECKING:
    from floe_core.plugin_registry import PluginRegistry

__all__ = [
    "ConfigSection",
    "DataProductConfig",
    "DbtProjectRef",
    "PlatformManifest",
    "PluginsConfig",
    "SecretRef",
    "SecretReference",
    "SecretsConfig",
    "secret_references",
]

# An entry-point name as floe accepts it in a manifest.
_PLUGIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class ConfigSection(BaseModel):
    """Base of a configuration section: unknown keys refused, frozen, finite numbers only.

    Runtimes build the model of their ``dbt_runtime_config`` section on it
    (and secrets backends the model of ``plugins.secrets.config``). Give every
    number a bound a person can read (``Field(gt=0, le=86400)``): a value of
    ``1e12`` seconds is a hang, not a setting.

    Examples:
        >>> class AcmeConfig(ConfigSection):
        ...     region: str = "eu"
        ...     timeout_seconds: float = Field(600, gt=0, le=86400)
        >>> AcmeConfig(timeout_seconds=30).region
        'eu'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A token pasted into a secret reference must not come back in a repr.
        markers = _secret_fields(type(self))
        for name, value in super().__repr_args__():
            hidden = name in markers and isinstance(value, str) and not looks_like_name(value)
            yield name, NOT_SHOWN if hidden else value


@dataclass(frozen=True)
class SecretReference:
    """Marks a field as a secret *reference* (``Annotated[str, SecretReference(...)]``).

    The value is checked to be a name, never a credential; ``floe validate``
    resolves it through the secrets backend; and the key without its ``_ref``
    suffix (``api_token`` for ``api_token_ref``) is refused in the file, so a
    literal secret never sits in ``manifest.yaml``.

    Attributes:
        kind: What the secret is, for messages (``token``, ``password`` ...).
        example: A reference to show in messages.
        literal_key: The key a literal secret would be written under; the
            field name without ``_ref`` by default.
    """

    kind: str = "secret"
    example: str = "my-secret"
    literal_key: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def check(self, value: str) -> str:
        """Return ``value`` if it is a reference; raise ``ValueError`` saying what to do if not."""
        if looks_like_credential(value):
            raise ValueError(
                f"this looks like a {self.kind}, not a reference; store the {self.kind} in the "
                f"secrets backend and put its name here, e.g. {self.example}"
            )
        if not SECRET_REF_PATTERN.fullmatch(value):
            raise ValueError(
                f"must be a secret name: letters, digits, '-', '_' or '.', e.g. {self.example}"
            )
        return value

    def literal_key_for(self, field_name: str) -> str:
        """The key a literal secret for ``field_name`` would be written under."""
        return self.literal_key or field_name.removesuffix("_ref")


SecretRef = Annotated[str, SecretReference()]
"""A field holding a secret reference: ``api_token_ref: SecretRef``."""


def _marker(annotation: Any, metadata: list[Any]) -> SecretReference | None:
    for item in metadata:
        if isinstance(item, SecretReference):
            return item
    for argument in typing.get_args(annotation):
        if isinstance(argument, SecretReference):
            return argument
        found = _marker(argument, [])
        if found is not None:
            return found
    return None


def _secret_fields(model: type[BaseModel]) -> dict[str, SecretReference]:
    """The fields of ``model`` (not nested) declared as secret references."""
    fields = {}
    for name, field in model.model_fields.items():
        marker = _marker(field.annotation, list(field.metadata))
        if marker is not None:
            fields[name] = marker
    return fields


def secret_references(config: BaseModel) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every secret reference set in a validated section, nested sections included.

    Args:
        config: A validated configuration section.

    Yields:
        ``(key path within the section, reference)``.

    Examples:
        >>> class Acme(ConfigSection):
        ...     token_ref: SecretRef
        >>> list(secret_references(Acme(token_ref="acme-token")))
        [(('token_ref',), 'acme-token')]
    """
    markers = _secret_fields(type(config))
    for name in type(config).model_fields:
        value = getattr(config, name)
        if name in markers and isinstance(value, str):
            yield (name,), value
        elif isinstance(value, BaseModel):
            for path, reference in secret_references(value):
                yield (name, *path), reference


def _literal_secret_keys(model: type[BaseModel]) -> dict[str, tuple[str, SecretReference]]:
    """Keys that would hold a literal secret -> (the reference field, its marker)."""
    return {
        marker.literal_key_for(name): (name, marker)
        for name, marker in _secret_fields(model).items()
    }


NOT_SHOWN = "(not shown)"
# Keys whose text value is a credential, whatever it looks like.
_CREDENTIAL_KEY = re.compile(r"token|password|passwd|secret|api_?key|credential", re.IGNORECASE)


def _masked(value: Any, key: str = "") -> Any:
    """A section as written, with what could be a credential replaced (for a repr)."""
    if isinstance(value, dict):
        return {k: _masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(item, key) for item in value]
    if isinstance(value, str) and (
        looks_like_credential(value)
        or (key.endswith("_ref") and not looks_like_name(value))
        or (_CREDENTIAL_KEY.search(key) and not key.endswith("_ref"))
    ):
        return NOT_SHOWN
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Sections as written (dbt_runtime_config, secrets.config) are not validated
        # yet: a token pasted anywhere in them must not come back in a repr.
        for name, value in super().__repr_args__():
            yield name, _masked(value) if isinstance(value, dict) else value


def _plugin_name(value: str, what: str) -> str:
    if looks_like_credential(value):
        raise ValueError(
            f"this looks like a credential, not a {what} name; name an installed {what} "
            "(floe validate lists them)"
        )
    if not _PLUGIN_NAME.fullmatch(value):
        raise ValueError(
            f"must be the name of an installed {what}: letters, digits, '_', '-' or '.' "
            "(floe validate lists them)"
        )
    return value


class SecretsConfig(_Section):
    """``plugins.secrets``: which ``floe.secrets`` backend resolves references.

    ``config`` is validated by the backend's own model
    (:attr:`~floe_core.plugin_interfaces.SecretsPlugin.config_model`).
    """

    type: str = "env"
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _type_is_a_name(cls, value: str) -> str:
        return _plugin_name(value, "secrets backend")


class PluginsConfig(_Section):
    """``plugins``: the platform team's plugin choices.

    Attributes:
        dbt_runtime: The ``floe.dbt`` entry point that runs dbt.
        dbt_runtime_config: One section per runtime, as written; the chosen
            runtime's is validated by its own model when the registry builds it.
        secrets: The secrets backend.
        orchestrator: The ``floe.orchestrator`` entry point, if any.
    """

    dbt_runtime: str
    dbt_runtime_config: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    orchestrator: str | None = None

    @field_validator("dbt_runtime")
    @classmethod
    def _runtime_is_a_name(cls, value: str) -> str:
        return _plugin_name(value, "dbt runtime")

    def section(self, name: str) -> dict[str, Any] | None:
        """The ``dbt_runtime_config`` section of runtime ``name`` as written (None if absent)."""
        if name not in self.dbt_runtime_config:
            return None
        return self.dbt_runtime_config[name] or {}


class PlatformManifest(_Section):
    """The whole ``manifest.yaml`` a platform team writes."""

    name: str | None = None
    plugins: PluginsConfig
    _source: ManifestSource | None = PrivateAttr(default=None)

    @classmethod
    def from_yaml(
        cls, path: Path | str, *, registry: PluginRegistry | None = None
    ) -> PlatformManifest:
        """Load a manifest file and validate it, the chosen runtime's section included.

        Args:
            path: The ``manifest.yaml`` to read.
            registry: Where the chosen runtime's class (and its config model)
                is found; the installed plugins by default.

        Returns:
            The validated manifest.

        Raises:
            ManifestError: The file is missing, not YAML, or not a valid manifest
                (every problem listed with its key and line), or the chosen
                runtime's or secrets backend's section is invalid.
            PluginLoadError: The chosen runtime is not installed or fails to load.
        """
        from floe_core.plugin_registry import PluginRegistry

        manifest = cls.read(path)
        (registry or PluginRegistry()).check_manifest(manifest, raise_on_unloadable=True)
        return manifest

    @classmethod
    def read(cls, path: Path | str) -> PlatformManifest:
        """Load a manifest file and check its shape, not the plugins it names.

        Args:
            path: The ``manifest.yaml`` to read.

        Returns:
            The manifest; its runtime section is checked by the registry later.

        Raises:
            ManifestError: The file is missing, unreadable, not YAML or not a
                manifest; every problem is listed with its key and line.
        """
        path = Path(path)
        document, root = load_config_file(path, what="manifest")
        source = ManifestSource.of(path, root)
        if not isinstance(document, dict):
            problem = ManifestProblem(
                "(file)", 1, "must be a YAML mapping with a top-level 'plugins:' key"
            )
            raise ManifestError(path, [problem])
        try:
            manifest = cls.model_validate(document)
        except ValidationError as exc:
            # `from None`: pydantic's own text echoes input values, which may be secrets.
            found = problems_from_validation_error(exc, source=source, prefix=[], model=cls)
            raise ManifestError(path, sort_problems(found)) from None
        manifest._source = source
        return manifest

    @property
    def source(self) -> ManifestSource:
        """Where this manifest was read from, for the lines of later problems."""
        return self._source or IN_MEMORY


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
