"""Private: a runtime's section of ``manifest.yaml``, validated by the model its class declares.

Used by :class:`~floe_core.plugin_registry.PluginRegistry`; see there.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from floe_core._manifest_problems import ManifestSource, problems_from_validation_error
from floe_core.errors import ManifestProblem
from floe_core.schemas import PlatformManifest, _literal_secret_keys

__all__ = ["RUNTIME_SECTION", "required_fields", "runtime_section"]

#: Where the runtimes' sections are in ``manifest.yaml``.
RUNTIME_SECTION = ("plugins", "dbt_runtime_config")


def required_fields(model: type[BaseModel]) -> list[str]:
    """The fields of a section's model that have no default."""
    return [name for name, field in model.model_fields.items() if field.is_required()]


def runtime_section(
    manifest: PlatformManifest, name: str, model: type[BaseModel] | None
) -> tuple[BaseModel | None, list[ManifestProblem]]:
    """Validate runtime ``name``'s section with ``model``; (config, problems)."""
    source: ManifestSource = manifest.source
    prefix = [*RUNTIME_SECTION, name]
    data = manifest.plugins.section(name)
    if model is None:
        if data:
            message = (
                f"the {name!r} runtime takes no settings; remove them or leave the section empty"
            )
            return None, [source.problem(prefix, message)]
        return None, []
    if data is None:
        try:
            return model.model_validate({}), []
        except ValidationError:
            # Today's wording, kept: REQ-091's "the chosen section must exist".
            message = (
                f"dbt_runtime is {name!r} but dbt_runtime_config.{name} is missing; "
                f"add a '{name}:' section under dbt_runtime_config"
            )
            return None, [source.problem(["plugins"], message)]
    literal = [
        source.problem(
            prefix,
            f"{key}: a literal {marker.kind} is not allowed in manifest.yaml; store it in the "
            f"secrets backend and set {field} to its reference, e.g. {field}: {marker.example}",
        )
        for key, (field, marker) in _literal_secret_keys(model).items()
        if key in data
    ]
    if literal:
        return None, literal
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from_validation_error(exc, source=source, prefix=prefix, model=model)
