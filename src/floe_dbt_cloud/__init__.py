"""DBTCloudPlugin: dbt Cloud Admin API v2 and Discovery API (REQ-088, REQ-092).

The emulator lives in :mod:`floe_dbt_cloud.emulator` (extra ``emulator``);
importing this package does not import it. Nor does it import httpx: pytest
loads :mod:`floe_dbt_cloud.kit_harness` (a ``pytest11`` plugin) in every
session of everyone who installs floe-dbt, with or without the ``cloud`` extra,
so :class:`DBTCloudPlugin` is imported when first asked for.
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
