"""The floe-dbt compliance kit: ``pytest --floe-dbt-compliance`` certifies dbt runtimes."""
