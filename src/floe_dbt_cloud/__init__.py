"""DBTCloudPlugin: dbt Cloud Admin API v2 and Discovery API (REQ-088, REQ-092)."""
