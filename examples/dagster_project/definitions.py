"""A platform team's whole Dagster wiring for a dbt project.

The runtime comes from ``manifest.yaml`` through the plugin registry. The dbt
project becomes one subsettable multi-asset: an asset per model, an asset
check per dbt test, and one Dagster step that runs the selected models with
one ``dbt_runtime.run_models`` call and their tests with one ``run_tests``.

Loading reads the manifest the deployment prepared; it never runs dbt. Prepare
it once per deploy (and after changing the dbt project), from this directory:

    floe compile --manifest manifest.yaml --project-dir dbt_project
    dagster definitions validate -f definitions.py
    dagster dev -f definitions.py
"""

from pathlib import Path

from floe_dagster import definitions_from_manifest

HERE = Path(__file__).parent

defs = definitions_from_manifest(HERE / "manifest.yaml", project_dir=HERE / "dbt_project")
