"""DagsterOrchestratorPlugin: dbt models as Dagster assets through a DBTPlugin (REQ-090)."""
