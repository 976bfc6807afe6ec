"""LocalDBTPlugin: dbt-core in-process through dbtRunner (REQ-087, REQ-093)."""
