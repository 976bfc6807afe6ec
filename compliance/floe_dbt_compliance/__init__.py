"""The floe-dbt compliance kit: ``pytest --floe-dbt-compliance`` certifies dbt runtimes.

Public surface for runtime authors:

* :class:`RuntimeHarness`: what ``pytest_floe_dbt_harness`` may return
  (:meth:`RuntimeHarness.for_project`), for the :class:`ProjectCopy` it is given;
* :func:`~floe_dbt_compliance.projects.copy_project`: a private copy of a fixture project;
* :data:`REQUIREMENTS` / :data:`CAPABILITIES`: the promise catalogue.

Nothing is imported until asked for: pytest loads this package's plugin in
every session of everyone who installs floe-dbt.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe_dbt_compliance.catalogue import CAPABILITIES, REQUIREMENTS
    from floe_dbt_compliance.harness import RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy
    from floe_dbt_compliance.requirements import requirement

__all__ = ["CAPABILITIES", "REQUIREMENTS", "ProjectCopy", "RuntimeHarness", "requirement"]

_HOMES = {
    "RuntimeHarness": "floe_dbt_compliance.harness",
    "ProjectCopy": "floe_dbt_compliance.projects",
    "CAPABILITIES": "floe_dbt_compliance.catalogue",
    "REQUIREMENTS": "floe_dbt_compliance.catalogue",
    "requirement": "floe_dbt_compliance.requirements",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'floe_dbt_compliance' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
