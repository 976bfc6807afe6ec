"""Rows: one runtime instance, and one cache directory, serving several projects in turn."""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue.sources import SPEC
from floe_dbt_compliance.declaration import Observes, Requirement

OWN = Observes.SEQUENCE
SERVED = "one deployment serving several projects (Dagster code locations, a CI matrix)"
ROWS = (
    Requirement(
        "projects.agree",
        "One instance serving several projects in turn (two of them checkouts of the same "
        "project in other directories) ends every call as plain dbt-core ends it on that "
        "project alone: nodes, statuses, counts, manifest and tables.",
        source=f"{SPEC} (every method takes the project); {SERVED}",
        req_ids=("REQ-086", "REQ-090"),
        observes=OWN,
    ),
    Requirement(
        "projects.latest",
        "With one instance serving several projects, get_manifest() and get_run_results() of "
        "each project answer that project's latest call, whatever ran on the others since.",
        source=f"DBTPlugin.get_manifest, get_run_results ('the latest'); {SERVED}",
        req_ids=("REQ-086",),
        observes=OWN,
    ),
    Requirement(
        "projects.cache-hit",
        "One cache directory serving several projects keeps each project's entries: within "
        "the TTL, get_manifest() of each is a hit (no remote call) with its own manifest.",
        source=f"REQ-092 (checks cache before API request); {SERVED}",
        req_ids=("REQ-092",),
        capability=Capability.ARTIFACT_CACHE,
        observes=OWN,
    ),
)
