"""The promises the kit does not check, each with why and where it is checked instead."""

from __future__ import annotations

from floe_dbt_compliance.declaration import Unchecked

UNCHECKED: tuple[Unchecked, ...] = (
    Unchecked(
        "Docstrings follow the Google style.",
        "REQ-086 acceptance criteria",
        "a property of the source, not of behaviour: linters check it (ruff's D rules)",
    ),
    Unchecked(
        "from_config builds the runtime from its manifest.yaml section.",
        "DBTPlugin.from_config",
        "the section's shape is the runtime's own; the kit "
        "builds runtimes through the harness hook (each runtime's tests check it)",
    ),
    Unchecked(
        "All methods use dbtRunner().invoke(), never a subprocess.",
        "REQ-087",
        "an implementation choice of the local runtime, invisible from outside (tests/local)",
    ),
    Unchecked(
        "All dbt output is logged as structured records.",
        "REQ-087",
        "binds the local runtime; a remote runtime's dbt output lives in the remote "
        "run's logs (tests/local)",
    ),
    Unchecked(
        "get_runtime_metadata() holds dbt_version and python_version.",
        "REQ-087",
        "keys of the local runtime only; every runtime must give 'type' (metadata.type)",
    ),
    Unchecked(
        "A raised error keeps dbt's exception as __cause__.",
        "plugin architecture, the DBTPlugin contract",
        "a remote runtime has no local exception to chain; each runtime's own tests "
        "check its errors",
    ),
    Unchecked(
        "A result's counts are its own invocation's, never those of a run_results.json an "
        "earlier invocation left behind.",
        "DBTRunResult (run_results_path)",
        "a kit can make dbt leave the old file only by telling it to write no artifacts "
        "(DBT_WRITE_JSON=false, flags: write_json), and then no runtime can return a "
        "DBTRunResult, whose run_results_path must be the call's own file: outside the "
        "contract. Every kit row compares counts with dbt's own; the local runtime refuses "
        "a file another invocation wrote (tests/local)",
    ),
    Unchecked(
        "A wait for the invocation lock times out after 3600 s with DBTExecutionTimeout.",
        "REQ-093",
        "the timeout is configured in a runtime-specific way and an hour is no check "
        "(tests/local uses a short timeout)",
    ),
    Unchecked(
        "The orchestrator serialises dbt steps when supports_parallel_execution() is False.",
        "REQ-093",
        "a promise of the orchestrator plugin, not of the runtime (tests/dagster)",
    ),
    Unchecked(
        "The artifact cache is local only, never shared.",
        "REQ-092",
        "where else a runtime might copy entries is not observable",
    ),
    Unchecked(
        "A network fault never leaves a half-written cache entry.",
        "the cloud runtime page",
        "needs faults injected into the runtime's own transport (tests/cloud)",
    ),
    Unchecked(
        "httpx pooling, HTTP timeouts and steps_override.",
        "REQ-088",
        "the cloud runtime's internals (tests/cloud); the kit checks their effects, and the "
        "conversation itself (retries, backoff, Retry-After, cancelling) in the remote.* rows",
    ),
    Unchecked(
        "with_vars() shares settings, lock and caches where that is safe.",
        "floe_core.lifecycle.DBTLifecycle.with_vars",
        "internal sharing is not observable; its effects are (concurrency.serialised, "
        "lifecycle.with-vars)",
    ),
    Unchecked(
        "A placeholder runtime raises NotImplementedError everywhere.",
        "REQ-089",
        "not a promise to certify: such a runtime's certificate says 'not implemented'",
    ),
)
