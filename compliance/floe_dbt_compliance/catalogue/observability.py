"""Rows: spans, and secrets kept out of everything the runtime shows or writes."""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import SECRET_CALLS, SPAN_CALLS

SECRETS = Capability.SECRETS
ROWS = (
    Requirement(
        "spans.invocation",
        "Every invocation emits exactly one floe.dbt.<command> span, in the caller's trace.",
        source=f"{CONTRACT_PAGE} (OpenTelemetry)",
        req_ids=("REQ-087",),
        reads=SPAN_CALLS,
    ),
    Requirement(
        "spans.attributes",
        "An invocation's span carries the runtime type, the command, the target, "
        "select/exclude/full_refresh as given, and a result's counts and success.",
        source="floe_core.telemetry.dbt_span, record_result",
        req_ids=("REQ-087",),
        reads=SPAN_CALLS,
    ),
    Requirement(
        "spans.status",
        "An invocation's span has status ERROR exactly when it raised or its result failed.",
        source="floe_core.telemetry.record_result",
        req_ids=("REQ-087",),
        reads=SPAN_CALLS,
    ),
    Requirement(
        "secrets.repr",
        "The runtime's repr and str show no secret.",
        source="brief: a secret never appears in reprs",
        req_ids=("REQ-086",),
        capability=SECRETS,
        observes=Observes.RUNTIME,
    ),
    Requirement(
        "secrets.errors",
        "No exception message holds a secret.",
        source="brief: a secret never appears in exceptions",
        req_ids=("REQ-086",),
        capability=SECRETS,
        reads=SECRET_CALLS,
    ),
    Requirement(
        "secrets.spans",
        "No span attribute holds a secret.",
        source="certifying guide: no secret in spans",
        req_ids=("REQ-087",),
        capability=SECRETS,
        reads=SECRET_CALLS,
    ),
    Requirement(
        "secrets.logs",
        "No log record, at any level, holds a secret.",
        source="brief: a secret never appears in logs",
        req_ids=("REQ-087",),
        capability=SECRETS,
        reads=SECRET_CALLS,
    ),
    Requirement(
        "secrets.files",
        "No file the runtime writes into the project holds a secret.",
        source="brief: a secret never appears in files",
        req_ids=("REQ-086",),
        capability=SECRETS,
        reads=SECRET_CALLS,
    ),
)
