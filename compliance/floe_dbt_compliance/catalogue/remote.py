"""Rows: concurrent invocations (REQ-093) and the artifact cache (REQ-092)."""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.declaration import Observes, Requirement

OWN = Observes.SEQUENCE
CACHE = Capability.ARTIFACT_CACHE
ROWS = (
    # -- concurrency ------------------------------------------------------------------------
    Requirement(
        "concurrency.serialised",
        "Concurrent calls of every method that invokes dbt, across two instances, never "
        "overlap, and each ends as dbt says.",
        source="REQ-093 (lock for all dbt invocations, class-level)",
        req_ids=("REQ-093",),
        capability=Capability.SERIALISED_EXECUTION,
        observes=OWN,
    ),
    Requirement(
        "concurrency.parallel",
        "Concurrent runs and compiles all complete, each as dbt says.",
        source="DBTPlugin.supports_parallel_execution",
        req_ids=("REQ-093",),
        capability=Capability.PARALLEL_EXECUTION,
        observes=OWN,
    ),
    # -- artifact cache ---------------------------------------------------------------------
    Requirement(
        "cache.layout",
        "Cache entries are <root>/<run_id>/ with the artifacts and metadata.json's fields "
        "(cached_at ISO-8601 UTC).",
        source="REQ-092 (cache structure)",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.hit",
        "A hit within the TTL makes no remote call.",
        source="REQ-092 (checks cache before API request)",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.expiry",
        "An entry older than the TTL is fetched again and cached_at moves.",
        source="REQ-092 (TTL 24 h)",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.corrupt",
        "A corrupt entry is a miss and is fetched again, never a crash.",
        source="the cloud runtime page",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.disabled",
        "FLOE_DISABLE_CACHE=true: the cache is neither read nor written.",
        source="REQ-092 (FLOE_DISABLE_CACHE)",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.no-cache",
        "An instance built with no_cache=True bypasses the cache and refreshes it.",
        source="REQ-092 (floe compile --no-cache)",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.no-secret",
        "No secret is written to the cache.",
        source="the cloud runtime page",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
    Requirement(
        "cache.private",
        "Cache directories and files are private to the user (0700/0600).",
        source="the cloud runtime page",
        req_ids=("REQ-092",),
        capability=CACHE,
        observes=OWN,
    ),
)
