"""Plugin discovery over ``importlib.metadata`` entry points.

Groups: ``floe.dbt`` (runtimes), ``floe.secrets`` (secret backends) and
``floe.orchestrator``. Nothing is imported until it is asked for, so listing the
runtimes never pulls in dbt-core. Any installed runtime can be selected in
``manifest.yaml``; its class declares the model of its own configuration
section, which the registry validates before it builds the runtime.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from floe_core._credentials import shown
from floe_core._manifest_problems import (
    close_match,
    problems_from_validation_error,
    sort_problems,
)
from floe_core._runtime_sections import RUNTIME_SECTION, required_fields, runtime_section
from floe_core.errors import (
    DBTConfigurationError,
    DBTError,
    ManifestError,
    ManifestProblem,
    PluginLoadError,
)
from floe_core.plugin_interfaces import DBTPlugin, OrchestratorPlugin, SecretsPlugin
from floe_core.schemas import PlatformManifest, PluginsConfig, secret_references

__all__ = [
    "ENTRY_POINT_GROUPS",
    "MANIFEST_ENVIRONMENT_VARIABLE",
    "PluginKind",
    "PluginRegistry",
]

logger = logging.getLogger(__name__)

PluginKind = Literal["dbt", "secrets", "orchestrator"]
ENTRY_POINT_GROUPS: dict[str, str] = {
    "dbt": "floe.dbt",
    "secrets": "floe.secrets",
    "orchestrator": "floe.orchestrator",
}
_BASES: dict[str, type] = {
    "dbt": DBTPlugin,
    "secrets": SecretsPlugin,
    "orchestrator": OrchestratorPlugin,
}
MANIFEST_ENVIRONMENT_VARIABLE = "FLOE_MANIFEST"
"""Names the platform manifest a runtime built with no arguments reads its section from."""


@functools.cache
def _warn_once(runtime: str, message: str) -> None:
    # Cached: a placeholder runtime's warning is logged once per process (REQ-089).
    del runtime
    logger.warning(message)


class PluginRegistry:
    """Finds and builds floe plugins.

    Args:
        entry_point_source: Returns the entry points of a group; the installed
            distributions' by default. Tests pass their own.

    Examples:
        >>> registry = PluginRegistry()
        >>> "acme" in registry.names("dbt")  # doctest: +SKIP
        True
    """

    def __init__(
        self, entry_point_source: Callable[[str], Iterable[EntryPoint]] | None = None
    ) -> None:
        self._source = entry_point_source or (lambda group: entry_points(group=group))
        # Scanning the installed distributions is the slow part of a lookup; one
        # registry scans each group once per sys.path (a test that puts a
        # distribution on sys.path is seen at once).
        self._scanned: dict[tuple[str, tuple[str, ...]], dict[str, EntryPoint]] = {}

    def _entry_points(self, kind: str) -> dict[str, EntryPoint]:
        try:
            group = ENTRY_POINT_GROUPS[kind]
        except KeyError:
            raise PluginLoadError(
                f"unknown plugin kind {kind!r}; known kinds: {', '.join(ENTRY_POINT_GROUPS)}"
            ) from None
        key = (group, tuple(sys.path))
        if key not in self._scanned:
            self._scanned[key] = {ep.name: ep for ep in self._source(group)}
        return self._scanned[key]

    def names(self, kind: PluginKind) -> list[str]:
        """List the installed plugin names of a kind, sorted.

        Args:
            kind: ``dbt``, ``secrets`` or ``orchestrator``.

        Returns:
            The entry-point names registered for that kind.
        """
        return sorted(self._entry_points(kind))

    def load_class(self, kind: PluginKind, name: str) -> type[Any]:
        """Import a plugin class by name without instantiating it.

        Args:
            kind: ``dbt``, ``secrets`` or ``orchestrator``.
            name: The entry-point name, e.g. ``acme``.

        Returns:
            The class, checked to subclass the kind's ABC.

        Raises:
            PluginLoadError: Not installed (the message lists what is, and the
                closest name), the import failed (the original error is the
                cause), or the wrong type.
        """
        available = self._entry_points(kind)
        entry_point = available.get(name)
        if entry_point is None:
            installed = ", ".join(sorted(available)) or "none"
            close = close_match(name, available)
            hint = f"; did you mean '{close}'?" if close else ""
            raise PluginLoadError(
                f"no {kind} plugin named {shown(name, what='name')} is installed "
                f"(entry-point group {ENTRY_POINT_GROUPS[kind]}); installed: {installed}{hint}"
            )
        try:
            loaded = entry_point.load()
        except Exception as exc:
            raise PluginLoadError(
                f"{kind} plugin {name!r} ({entry_point.value}) failed to load: "
                f"{type(exc).__name__}: {exc}{_install_hint(entry_point, exc)}"
            ) from exc
        base = _BASES[kind]
        if not (isinstance(loaded, type) and issubclass(loaded, base)):
            raise PluginLoadError(
                f"{kind} plugin {name!r} ({entry_point.value}) is not a subclass of {base.__name__}"
            )
        warning = getattr(loaded, "discovery_warning", None)
        if kind == "dbt" and isinstance(warning, str):
            _warn_once(name, warning)
        return loaded

    def get_plugin(self, kind: PluginKind, name: str, **kwargs: Any) -> Any:
        """Load a plugin and instantiate it.

        With keyword arguments, they go to the plugin's constructor. A dbt
        runtime asked for with none is built the way a platform would build it:
        from its section of the platform manifest the environment names
        (``$FLOE_MANIFEST``, else ``./manifest.yaml``), through
        :meth:`~floe_core.plugin_interfaces.DBTPlugin.from_config`, with that
        manifest's secrets backend; with no manifest, from its model's defaults.

        Args:
            kind: ``dbt``, ``secrets`` or ``orchestrator``.
            name: The entry-point name.
            **kwargs: Passed to the plugin's constructor.

        Returns:
            The plugin instance.

        Raises:
            PluginLoadError: See :meth:`load_class`.
            ManifestError: The manifest, or the runtime's section in it, is invalid.
            DBTConfigurationError: The runtime needs a section and there is none,
                or a secret cannot be resolved.
        """
        plugin_class = self.load_class(kind, name)
        if kwargs or kind != "dbt":
            return plugin_class(**kwargs)
        return self._runtime_from_environment(name, plugin_class)

    def _runtime_from_environment(self, name: str, runtime_cls: type[DBTPlugin]) -> DBTPlugin:
        path = environment_manifest()
        if path is None:
            manifest = PlatformManifest(plugins=PluginsConfig(dbt_runtime=name))
        else:
            manifest = PlatformManifest.read(path)
        model = runtime_cls.config_model
        required = required_fields(model) if model is not None else []
        if required and manifest.plugins.section(name) is None:
            where = (
                f"{path} has none"
                if path is not None
                else f"no platform manifest was found (${MANIFEST_ENVIRONMENT_VARIABLE} is not set "
                "and there is no ./manifest.yaml)"
            )
            raise DBTConfigurationError(
                f"the dbt runtime {name!r} cannot be built with no arguments: it needs a "
                f"dbt_runtime_config.{name} section (required: {', '.join(required)}) "
                f"and {where}. Point ${MANIFEST_ENVIRONMENT_VARIABLE} at a manifest.yaml with "
                f"that section, pass the constructor's arguments "
                f"(get_plugin('dbt', {name!r}, ...)), or use create_dbt_runtime(manifest)"
            )
        config = self._validated_runtime_config(manifest, name, runtime_cls)
        return runtime_cls.from_config(config, self.create_secrets(manifest))

    def runtime_config(self, manifest: PlatformManifest) -> BaseModel | None:
        """Validate the chosen runtime's ``dbt_runtime_config`` section with its own model.

        Args:
            manifest: The platform manifest.

        Returns:
            The validated section (the model's defaults when the section is
            absent and not required), or None for a runtime without a model.

        Raises:
            PluginLoadError: The runtime is not installed or fails to load.
            ManifestError: The section is missing where required, holds a
                literal secret, or does not validate; every problem has its key
                and line.
        """
        name = manifest.plugins.dbt_runtime
        return self._validated_runtime_config(manifest, name, self.load_class("dbt", name))

    def _validated_runtime_config(
        self, manifest: PlatformManifest, name: str, runtime_cls: type[DBTPlugin]
    ) -> BaseModel | None:
        config, problems = runtime_section(manifest, name, runtime_cls.config_model)
        if problems:
            raise ManifestError(manifest.source.path, sort_problems(problems))
        return config

    def create_secrets(self, manifest: PlatformManifest) -> SecretsPlugin:
        """Build the secrets backend the manifest configures, its config validated by its model.

        Raises:
            PluginLoadError: The backend is not installed.
            ManifestError: ``plugins.secrets.config`` does not validate.
            DBTConfigurationError: The backend refused its settings.
        """
        backend, problems = self._secrets(manifest, build=True)
        if problems or backend is None:
            raise ManifestError(manifest.source.path, sort_problems(problems))
        return backend

    def _secrets(
        self, manifest: PlatformManifest, *, build: bool
    ) -> tuple[SecretsPlugin | None, list[ManifestProblem]]:
        settings = manifest.plugins.secrets
        source = manifest.source
        try:
            backend_cls: type[SecretsPlugin] = self.load_class("secrets", settings.type)
        except PluginLoadError as exc:
            message = f"secrets backend unusable: {exc}"
            return None, [source.problem(["plugins", "secrets", "type"], message)]
        model = backend_cls.config_model
        config: BaseModel | None = None
        if model is not None:
            try:
                config = model.model_validate(settings.config)
            except ValidationError as exc:
                prefix = ["plugins", "secrets", "config"]
                found = problems_from_validation_error(
                    exc, source=source, prefix=prefix, model=model
                )
                return None, found
        if not build:
            return None, []
        try:
            if model is None:
                return backend_cls(**settings.config), []
            return backend_cls.from_config(config), []
        except (TypeError, ValueError, DBTConfigurationError) as exc:
            message = f"secrets backend {settings.type!r} refused its settings: {exc}"
            return None, [source.problem(["plugins", "secrets", "config"], message)]

    def create_dbt_runtime(
        self,
        manifest: PlatformManifest,
        secrets: SecretsPlugin | None = None,
        **options: Any,
    ) -> DBTPlugin:
        """Build the dbt runtime the platform manifest selects.

        Args:
            manifest: The platform manifest.
            secrets: The secrets backend; built from the manifest when omitted.
            **options: Invocation options passed on to the runtime's ``from_config``
                (``no_cache`` ...).

        Returns:
            The configured runtime; secret references already resolved.

        Raises:
            PluginLoadError: The runtime is not installed or fails to load.
            ManifestError: Its section, or the secrets backend's, is invalid.
            DBTConfigurationError: A secret cannot be resolved.
        """
        name = manifest.plugins.dbt_runtime
        runtime_cls: type[DBTPlugin] = self.load_class("dbt", name)
        config = self._validated_runtime_config(manifest, name, runtime_cls)
        resolved_secrets = secrets if secrets is not None else self.create_secrets(manifest)
        return runtime_cls.from_config(config, resolved_secrets, **options)

    def check_manifest(
        self,
        manifest: PlatformManifest,
        *,
        resolve_secrets: bool = False,
        raise_on_unloadable: bool = False,
    ) -> list[ManifestProblem]:
        """Check what a manifest asks of the installed plugins (REQ-091).

        The chosen runtime is installed and loads; its section exists where
        its model needs one, holds no literal secret and validates; sections
        name installed runtimes; the secrets backend is installed and its
        config validates; with ``resolve_secrets``, every secret reference the
        section declares resolves.

        Args:
            manifest: A manifest whose shape is valid (:meth:`PlatformManifest.read`).
            resolve_secrets: Also resolve the section's secret references.
            raise_on_unloadable: Raise the runtime's :class:`PluginLoadError`
                instead of listing it, and raise :class:`ManifestError` for the rest.

        Returns:
            Every problem, in file order (empty when the manifest is usable).

        Raises:
            PluginLoadError: With ``raise_on_unloadable``, the runtime cannot be loaded.
            ManifestError: With ``raise_on_unloadable``, any other problem.
        """
        plugins = manifest.plugins
        source = manifest.source
        problems: list[ManifestProblem] = []
        installed = self.names("dbt")
        for name in plugins.dbt_runtime_config:
            if name not in installed and name != plugins.dbt_runtime:
                close = close_match(name, installed)
                hint = f"did you mean '{close}'? " if close else ""
                problems.append(
                    source.problem(
                        [*RUNTIME_SECTION, name],
                        f"no dbt runtime of this name is installed; {hint}installed: "
                        f"{', '.join(installed) or 'none'}",
                    )
                )
        config: BaseModel | None = None
        try:
            runtime_cls: type[DBTPlugin] | None = self.load_class("dbt", plugins.dbt_runtime)
        except PluginLoadError as exc:
            if raise_on_unloadable:
                raise
            problems.append(source.problem(["plugins", "dbt_runtime"], str(exc)))
            runtime_cls = None
        if runtime_cls is not None:
            config, found = runtime_section(manifest, plugins.dbt_runtime, runtime_cls.config_model)
            problems += found
        backend, found = self._secrets(manifest, build=resolve_secrets)
        problems += found
        if resolve_secrets and backend is not None and config is not None and not problems:
            prefix = [*RUNTIME_SECTION, plugins.dbt_runtime]
            for path, reference in secret_references(config):
                try:
                    backend.get_secret(reference)
                except DBTError as exc:
                    problems.append(source.problem([*prefix, *path], str(exc)))
        problems = sort_problems(problems)
        if raise_on_unloadable and problems:
            raise ManifestError(source.path, problems)
        return problems


def environment_manifest() -> Path | None:
    """The platform manifest the environment names: ``$FLOE_MANIFEST``, else ``./manifest.yaml``.

    Returns:
        Its path, or None when neither is there.

    Raises:
        DBTConfigurationError: ``$FLOE_MANIFEST`` names a file that does not exist.
    """
    named = os.environ.get(MANIFEST_ENVIRONMENT_VARIABLE)
    if named:
        path = Path(named)
        if not path.exists():
            raise DBTConfigurationError(
                f"${MANIFEST_ENVIRONMENT_VARIABLE} is {named!r}, which does not exist; point it "
                "at the platform manifest.yaml or unset it"
            )
        return path
    default = Path("manifest.yaml")
    return default if default.is_file() else None


def _install_hint(entry_point: EntryPoint, exc: Exception) -> str:
    """How to install what a plugin failed to import: its distribution's extra, if it has one."""
    if not (isinstance(exc, ImportError) and exc.name):
        return ""
    distribution = getattr(entry_point, "dist", None)
    extras = (distribution.metadata.get_all("Provides-Extra") or []) if distribution else []
    if distribution is not None and entry_point.name in extras:
        install = f"pip install '{distribution.name}[{entry_point.name}]'"
    elif distribution is not None:
        install = f"pip install --force-reinstall '{distribution.name}'"
    else:
        install = f"pip install {exc.name}"
    return f"; is its dependency {exc.name!r} installed? (e.g. {install})"
