"""Rows: the interface and the runtime's metadata (checked without running dbt, but one)."""

from __future__ import annotations

from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import RESULT_CALLS

ROWS = (
    Requirement(
        "interface.subclass",
        "The class registered under floe.dbt subclasses DBTPlugin, leaves nothing abstract, "
        "and is the class of the runtime the harness gives.",
        source="REQ-086 (MUST inherit from ABC); REQ-094",
        req_ids=("REQ-086",),
        observes=Observes.RUNTIME,
    ),
    Requirement(
        "interface.signatures",
        "The seven methods keep the ABC's parameters, defaults and return annotations.",
        source="REQ-086 (all 7 abstract methods with type hints)",
        req_ids=("REQ-086",),
        observes=Observes.RUNTIME,
    ),
    Requirement(
        "interface.entry-point",
        "The runtime is registered under the floe.dbt entry-point group and the plugin "
        "registry loads that very class.",
        source="REQ-086 (MUST define entry point group floe.dbt)",
        req_ids=("REQ-086", "REQ-094"),
        observes=Observes.RUNTIME,
    ),
    Requirement(
        "metadata.type",
        "get_runtime_metadata() returns a JSON-serialisable dict with a non-empty 'type' string.",
        source="DBTPlugin.get_runtime_metadata",
        req_ids=("REQ-086",),
        observes=Observes.RUNTIME,
    ),
    Requirement(
        "metadata.no-credential",
        "The runtime's and every result's metadata hold no credential: no credential-like key "
        "with a value, no authorization value, no secret of the harness.",
        source="DBTPlugin.get_runtime_metadata; DBTRunResult.metadata ('never a secret')",
        req_ids=("REQ-086",),
        reads=RESULT_CALLS,
    ),
)
