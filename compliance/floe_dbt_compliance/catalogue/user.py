"""Rows: the user's own dbt projects (``--floe-dbt-project``), n/a in a session that gives none."""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE, LIFE, SPEC
from floe_dbt_compliance.declaration import Observes, Requirement

OWN = Observes.SEQUENCE
ROWS = (
    Requirement(
        "project.agrees",
        "On each project given with --floe-dbt-project, compile, run and test, and selections "
        "derived from its own graph (a model, +model, a tag, a folder, an exclusion, a model's "
        "tests), end as plain dbt-core ends them: every node's status, the counts, the manifest "
        "and the relations' rows.",
        source=f"{SPEC}; {CONTRACT_PAGE}",
        req_ids=("REQ-086", "REQ-094"),
        observes=OWN,
        user_projects=True,
    ),
    Requirement(
        "project.lifecycle",
        "On each project given, seed and snapshot (where it has them), build, and build with its "
        "own vars given explicitly end as plain dbt-core ends them.",
        source=LIFE,
        req_ids=("REQ-086", "REQ-094"),
        capability=Capability.LIFECYCLE,
        observes=OWN,
        user_projects=True,
    ),
)
