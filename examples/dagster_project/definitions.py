"""A platform team's whole Dagster wiring for a dbt project.

The runtime comes from ``manifest.yaml`` through the plugin registry; each dbt
model becomes an asset that runs ``dbt_runtime.run_models(select=<model>)``.

    dagster definitions validate -f definitions.py
    dagster dev -f definitions.py
"""

from pathlib import Path

from floe_dagster import definitions_from_manifest

HERE = Path(__file__).parent

defs = definitions_from_manifest(HERE / "manifest.yaml", project_dir=HERE / "dbt_project")
