"""The floe-dbt compliance kit: ``pytest --floe-dbt-compliance`` certifies dbt runtimes.

Public surface for runtime authors:

* :class:`RuntimeHarness`: what ``pytest_floe_dbt_harness`` returns;
* :func:`~floe_dbt_compliance.projects.copy_project`: a private copy of a fixture project;
* :data:`~floe_dbt_compliance.requirements.REQUIREMENTS`: the requirement catalogue.
"""

from floe_dbt_compliance.harness import RuntimeHarness
from floe_dbt_compliance.requirements import CAPABILITIES, REQUIREMENTS, requirement

__all__ = ["CAPABILITIES", "REQUIREMENTS", "RuntimeHarness", "requirement"]
