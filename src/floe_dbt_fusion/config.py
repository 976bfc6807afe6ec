"""``dbt_runtime_config.fusion``: the placeholder's configuration model.

Valid so a platform can reserve the choice; nothing in it is loaded (REQ-089).
"""

from pathlib import Path

from floe_core.schemas import ConfigSection

__all__ = ["FusionRuntimeConfig"]


class FusionRuntimeConfig(ConfigSection):
    """``dbt_runtime_config.fusion``: placeholder until dbt Fusion has Python bindings."""

    rust_bindings_path: Path | None = None
