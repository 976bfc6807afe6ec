"""DBTFusionPlugin: the dbt Fusion placeholder (REQ-089)."""
