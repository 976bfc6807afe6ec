"""Private: ``floe runtimes``, what each installed ``floe.dbt`` runtime is and can do.

Use the command, not this module; its functions may change in any release.

A runtime is described from its class, and probed by building it only when
its configuration has defaults for everything (building one that needs a
``dbt_runtime_config`` section would mean resolving secrets): a placeholder
(REQ-089) is one whose ``get_runtime_metadata()`` raises
``NotImplementedError``, as the kit and ``floe validate`` tell it.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_registry import PluginRegistry
from floe_core.run_flags import DBTFailFast, DBTStateSelection
from floe_core.vocabulary import Option

__all__ = ["RuntimeDescription", "describe_runtimes"]


@dataclass
class RuntimeDescription:
    """One installed runtime, as ``floe runtimes`` lists it.

    Attributes:
        name: The entry-point name (``plugins.dbt_runtime``).
        target: The entry point's ``module:Class``.
        distribution: The distribution that registers it, with its version.
        capabilities: The optional capabilities its class declares
            (``lifecycle``, ``fail_fast``, ``state``) and, when it could be
            built, ``parallel_execution`` or ``serialised_execution``.
        placeholder: True when it runs nothing yet; None when it was not built.
        config: ``none`` (it takes no settings), ``optional`` or the required keys.
        problem: Why it could not be loaded or built, when it could not.
    """

    name: str
    target: str
    distribution: str
    capabilities: list[str] = field(default_factory=list)
    placeholder: bool | None = None
    config: str = "none"
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` document of the runtime."""
        return asdict(self)


def _required(model: Any) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def _describe(registry: PluginRegistry, name: str) -> RuntimeDescription:
    entry_point = registry._entry_points("dbt")[name]
    dist = getattr(entry_point, "dist", None)
    described = RuntimeDescription(
        name=name,
        target=entry_point.value,
        distribution=f"{dist.name} {dist.version}" if dist is not None else "?",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls = registry.load_class("dbt", name)
    except Exception as exc:
        described.problem = str(exc)
        return described
    declared = {
        "lifecycle": DBTLifecycle,
        Option.FAIL_FAST.value: DBTFailFast,  # the capabilities are named after their flags
        Option.STATE.value: DBTStateSelection,
    }
    described.capabilities += [name for name, mixin in declared.items() if issubclass(cls, mixin)]
    model = cls.config_model
    required = _required(model) if model is not None else []
    described.config = (
        "none" if model is None else f"required: {', '.join(required)}" if required else "optional"
    )
    if required:
        return described
    try:
        runtime = cls.from_config(model() if model is not None else None, None)
    except Exception as exc:
        described.problem = f"cannot be built with its defaults: {exc}"
        return described
    try:
        runtime.get_runtime_metadata()
        described.placeholder = False
        parallel = runtime.supports_parallel_execution()
        described.capabilities.append("parallel_execution" if parallel else "serialised_execution")
    except NotImplementedError:
        described.placeholder = True
    except Exception as exc:
        described.problem = f"{type(exc).__name__}: {exc}"
    finally:
        close = getattr(runtime, "close", None)
        if callable(close):
            close()
    return described


def describe_runtimes(registry: PluginRegistry | None = None) -> list[RuntimeDescription]:
    """Describe every installed ``floe.dbt`` runtime, sorted by name."""
    registry = registry or PluginRegistry()
    return [_describe(registry, name) for name in registry.names("dbt")]
