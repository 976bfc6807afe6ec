"""DBTCloudPlugin: dbt Cloud Admin API v2 and Discovery API (REQ-088, REQ-092).

The emulator lives in :mod:`floe_dbt_cloud.emulator` (extra ``emulator``);
importing this package does not import it.
"""

from floe_dbt_cloud.plugin import DBTCloudPlugin

__all__ = ["DBTCloudPlugin"]
