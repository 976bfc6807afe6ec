"""DBTCloudPlugin: dbt Cloud Admin API v2 and Discovery API (REQ-088, REQ-092).

The runtime imports neither the compliance kit nor the dbt Cloud emulator that
certifies it (:mod:`floe_dbt_cloud_emulator`, which holds the kit's cloud
harness). Nor does importing this package import httpx: the plugin registry
names ``floe_dbt_cloud:DBTCloudPlugin`` without loading it, with or without the
``cloud`` extra, so :class:`DBTCloudPlugin` is imported when first asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe_dbt_cloud.plugin import DBTCloudPlugin

__all__ = ["DBTCloudPlugin"]


def __getattr__(name: str) -> Any:
    if name != "DBTCloudPlugin":
        raise AttributeError(f"module 'floe_dbt_cloud' has no attribute {name!r}")
    return importlib.import_module("floe_dbt_cloud.plugin").DBTCloudPlugin
