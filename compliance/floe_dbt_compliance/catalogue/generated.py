"""Rows: projects nobody wrote by hand (drawn with hypothesis, run on both sides)."""

from __future__ import annotations

from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE, SPEC
from floe_dbt_compliance.declaration import Observes, Requirement

ROWS = (
    Requirement(
        "generated.agrees",
        "On generated projects (random DAGs and materialisations, some models in a local "
        "package, tests with planted failures and warnings, planted SQL errors, random "
        "selectors and exclusions) every call ends as it does on dbt-core.",
        source=f"{SPEC}; {CONTRACT_PAGE}",
        req_ids=("REQ-086", "REQ-094"),
        observes=Observes.SEQUENCE,
    ),
)
