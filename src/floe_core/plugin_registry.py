"""Plugin discovery over ``importlib.metadata`` entry points.

Groups: ``floe.dbt`` (runtimes), ``floe.secrets`` (secret backends) and
``floe.orchestrator``. Nothing is imported until it is asked for, so listing the
runtimes never pulls in dbt-core.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import DBTPlugin, OrchestratorPlugin, SecretsPlugin
from floe_core.schemas import PlatformManifest

__all__ = [
    "ENTRY_POINT_GROUPS",
    "FUSION_WARNING",
    "PluginKind",
    "PluginLoadError",
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
FUSION_WARNING = "DBTFusionPlugin not yet implemented. Use 'local' or 'cloud' runtime."


class PluginLoadError(DBTConfigurationError):
    """A plugin is not installed, fails to import, or is not the right kind of class."""


@functools.cache
def _warn_fusion_discovered() -> None:
    # Cached: REQ-089 asks for the warning when fusion is discovered, once per process.
    logger.warning(FUSION_WARNING)


class PluginRegistry:
    """Finds and builds floe plugins.

    Args:
        entry_point_source: Returns the entry points of a group; the installed
            distributions' by default. Tests pass their own.

    Examples:
        >>> registry = PluginRegistry()
        >>> "local" in registry.names("dbt")  # doctest: +SKIP
        True
    """

    def __init__(
        self, entry_point_source: Callable[[str], Iterable[EntryPoint]] | None = None
    ) -> None:
        self._source = entry_point_source or (lambda group: entry_points(group=group))

    def _entry_points(self, kind: str) -> dict[str, EntryPoint]:
        try:
            group = ENTRY_POINT_GROUPS[kind]
        except KeyError:
            raise PluginLoadError(
                f"unknown plugin kind {kind!r}; known kinds: {', '.join(ENTRY_POINT_GROUPS)}"
            ) from None
        found = {entry_point.name: entry_point for entry_point in self._source(group)}
        if kind == "dbt" and "fusion" in found:
            _warn_fusion_discovered()
        return found

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
            name: The entry-point name, e.g. ``local``.

        Returns:
            The class, checked to subclass the kind's ABC.

        Raises:
            PluginLoadError: Not installed (the message lists what is), the import
                failed (the original error is the cause), or the wrong type.
        """
        available = self._entry_points(kind)
        entry_point = available.get(name)
        if entry_point is None:
            installed = ", ".join(sorted(available)) or "none"
            raise PluginLoadError(
                f"no {kind} plugin named {name!r} is installed "
                f"(entry-point group {ENTRY_POINT_GROUPS[kind]}); installed: {installed}"
            )
        try:
            loaded = entry_point.load()
        except Exception as exc:
            hint = ""
            if isinstance(exc, ImportError) and exc.name:
                hint = (
                    f"; is its dependency {exc.name!r} installed? "
                    f"(e.g. pip install 'floe-dbt[{name}]')"
                )
            raise PluginLoadError(
                f"{kind} plugin {name!r} ({entry_point.value}) failed to load: "
                f"{type(exc).__name__}: {exc}{hint}"
            ) from exc
        base = _BASES[kind]
        if not (isinstance(loaded, type) and issubclass(loaded, base)):
            raise PluginLoadError(
                f"{kind} plugin {name!r} ({entry_point.value}) is not a subclass of {base.__name__}"
            )
        return loaded

    def get_plugin(self, kind: PluginKind, name: str, **kwargs: Any) -> Any:
        """Load a plugin and instantiate it.

        Args:
            kind: ``dbt``, ``secrets`` or ``orchestrator``.
            name: The entry-point name.
            **kwargs: Passed to the plugin's constructor.

        Returns:
            The plugin instance.

        Raises:
            PluginLoadError: See :meth:`load_class`.
        """
        return self.load_class(kind, name)(**kwargs)

    def create_secrets(self, manifest: PlatformManifest) -> SecretsPlugin:
        """Build the secrets backend the manifest configures."""
        secrets = manifest.plugins.secrets
        plugin: SecretsPlugin = self.get_plugin("secrets", secrets.type, **secrets.config)
        return plugin

    def create_dbt_runtime(
        self,
        manifest: PlatformManifest,
        secrets: SecretsPlugin | None = None,
        **options: Any,
    ) -> DBTPlugin:
        """Build the dbt runtime the platform manifest selects.

        Args:
            manifest: The validated platform manifest.
            secrets: The secrets backend; built from the manifest when omitted.
            **options: Invocation options passed on to the runtime's ``from_config``
                (``no_cache`` ...).

        Returns:
            The configured runtime; secret references already resolved.

        Raises:
            PluginLoadError: The runtime is not installed or fails to load.
            DBTConfigurationError: A secret cannot be resolved.
        """
        plugins = manifest.plugins
        runtime_cls: type[DBTPlugin] = self.load_class("dbt", plugins.dbt_runtime)
        resolved_secrets = secrets if secrets is not None else self.create_secrets(manifest)
        return runtime_cls.from_config(plugins.runtime_config(), resolved_secrets, **options)
