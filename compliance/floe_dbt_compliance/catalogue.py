"""The promise catalogue: every promise a runtime makes, as a certificate row or as unchecked.

Each promise of REQ-086/087/093/094, of the ``DBTPlugin``, ``DBTRunResult``,
``DBTLifecycle`` and error docstrings and of the certifying guide that a
runtime could break is a :class:`~floe_dbt_compliance.requirements.Requirement`
here, checked by a kit test bound to its key and proven by at least one
broken variant of the ``acme`` runtime in ``tests/kit`` that the kit refuses
on that row; or it is :data:`UNCHECKED`, with the reason. The documentation
page ``docs/reference/promises.md`` is generated from this module
(``python -m floe_dbt_compliance.catalogue``). Kept in one module on purpose:
it is the one place a vendor reads what is promised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_dbt_compliance.capabilities import Capability as Has
from floe_dbt_compliance.requirements import Capability, Requirement, Unchecked

if TYPE_CHECKING:
    from floe_dbt_compliance.profile import RuntimeProfile

__all__ = ["CAPABILITIES", "REQUIREMENTS", "UNCHECKED", "markdown"]

_SPEC = "REQ-086 (DBTPlugin)"
_RUN = "DBTPlugin.run_models"
_TEST = "DBTPlugin.run_tests"
_LIFE = "floe_core.lifecycle.DBTLifecycle"
_CONTRACT_PAGE = "plugin architecture, the DBTPlugin contract"


def _lifecycle(profile: RuntimeProfile) -> bool:
    return Has.LIFECYCLE in profile.capabilities


CAPABILITIES: dict[str, Capability] = {
    capability.name: capability
    for capability in (
        Capability(
            "serialised_execution",
            "The runtime says False to supports_parallel_execution() (or cannot say): it must "
            "serialise every invocation of every instance (REQ-093).",
            lambda profile: profile.parallel is not True,
            "the runtime supports parallel execution, so it need not serialise",
        ),
        Capability(
            "parallel_execution",
            "The runtime says True to supports_parallel_execution(): concurrent invocations "
            "must each complete correctly.",
            lambda profile: profile.parallel is True,
            "the runtime does not support parallel execution (it serialises instead)",
        ),
        Capability(
            "artifact_cache",
            "The runtime keeps a local artifact cache (REQ-092); its harness names the cache "
            "root (RuntimeHarness.cache_root).",
            lambda profile: Has.ARTIFACT_CACHE in profile.capabilities,
            "the runtime has no artifact cache (its harness gives no cache_root)",
        ),
        Capability(
            "lifecycle",
            "The runtime subclasses floe_core.lifecycle.DBTLifecycle: seed, snapshot, build "
            "and with_vars, plus vars on each.",
            _lifecycle,
            "the runtime does not declare the lifecycle capability (it does not subclass "
            "floe_core.lifecycle.DBTLifecycle); it is compliant without it",
        ),
        Capability(
            "secrets",
            "The runtime holds secrets, and its harness names them (RuntimeHarness.secrets) so "
            "the kit can look for them where they must never be.",
            lambda profile: bool(profile.secrets),
            "the harness names no secret for this runtime (RuntimeHarness.secrets)",
        ),
    )
}


def _rows(*rows: Requirement) -> dict[str, Requirement]:
    return {row.key: row for row in rows}


R = Requirement
REQUIREMENTS: dict[str, Requirement] = _rows(
    # -- the interface ----------------------------------------------------------------------
    R(
        "interface.subclass",
        ("REQ-086",),
        "The class registered under floe.dbt subclasses "
        "DBTPlugin, leaves nothing abstract, and is the class of the runtime the harness gives.",
        "REQ-086 (MUST inherit from ABC); REQ-094",
    ),
    R(
        "interface.signatures",
        ("REQ-086",),
        "The seven methods keep the ABC's parameters, defaults and return annotations.",
        "REQ-086 (all 7 abstract methods with type hints)",
    ),
    R(
        "interface.entry-point",
        ("REQ-086", "REQ-094"),
        "The runtime is registered under the "
        "floe.dbt entry-point group and the plugin registry loads that very class.",
        "REQ-086 (MUST define entry point group floe.dbt)",
    ),
    R(
        "metadata.type",
        ("REQ-086",),
        "get_runtime_metadata() returns a JSON-serialisable dict with a non-empty 'type' string.",
        "DBTPlugin.get_runtime_metadata",
    ),
    R(
        "metadata.no-credential",
        ("REQ-086",),
        "The runtime's and every result's metadata hold "
        "no credential: no credential-like key with a value, no authorization value, no secret "
        "of the harness.",
        "DBTPlugin.get_runtime_metadata; DBTRunResult.metadata ('never a secret')",
    ),
    # -- compile ----------------------------------------------------------------------------
    R(
        "compile.manifest",
        ("REQ-086",),
        "compile_project returns the path of an existing "
        "manifest.json with the nodes dbt-core defines and compiles for the project.",
        "DBTPlugin.compile_project",
    ),
    R(
        "compile.node-error",
        ("REQ-086",),
        "A model that parses but does not compile makes "
        "compile_project raise DBTCompilationError, and run_models report it as a failed node "
        "(its downstream skipped), as dbt-core does.",
        f"DBTPlugin.compile_project (Raises); {_CONTRACT_PAGE}",
    ),
    # -- run --------------------------------------------------------------------------------
    R(
        "run.all",
        ("REQ-086",),
        "run_models() runs every model: dbt run's nodes, statuses, counts and tables.",
        _RUN,
    ),
    R(
        "run.select",
        ("REQ-086",),
        "run_models(select=...) runs only the selected models, an incremental model incrementally.",
        f"{_RUN} (select)",
    ),
    R(
        "run.exclude",
        ("REQ-086",),
        "run_models(exclude=...) leaves the excluded models alone.",
        f"{_RUN} (exclude)",
    ),
    R(
        "run.select-exclude",
        ("REQ-086",),
        "select and exclude given together select what dbt selects.",
        f"{_RUN}; {_CONTRACT_PAGE} (selectors mean what they mean to dbt)",
    ),
    R(
        "run.selector-syntax",
        ("REQ-086",),
        "Graph operators (+, n+, @), tags, paths, unions and intersections in a selector "
        "select what dbt selects.",
        f"{_CONTRACT_PAGE} (a selector is a dbt selection expression)",
    ),
    R(
        "run.full-refresh",
        ("REQ-086",),
        "run_models(full_refresh=True) rebuilds incremental models from scratch.",
        f"{_RUN} (full_refresh)",
    ),
    R(
        "run.sql-error",
        ("REQ-086",),
        "A model whose SQL fails is a failed result (success "
        "False, counted in failures), its downstream skipped, the rest built; nothing raised.",
        f"{_RUN} (Returns); DBTRunResult",
    ),
    R(
        "run.edited-project",
        ("REQ-086",),
        "A run after a project file changed runs the changed SQL, never a stale parse.",
        f"{_CONTRACT_PAGE} (a changed project file must never run stale SQL)",
    ),
    R(
        "run.repeated",
        ("REQ-086",),
        "Calling run_models and run_tests again on an unchanged project does what a fresh "
        "dbt invocation does: nothing an earlier call compiled (an ephemeral model's CTEs) "
        "carries into the next.",
        f"{_CONTRACT_PAGE} (each call runs the project as dbt would)",
    ),
    # -- test -------------------------------------------------------------------------------
    R(
        "test.all",
        ("REQ-086",),
        "run_tests() runs every data and unit test with dbt test's statuses and counts.",
        _TEST,
    ),
    R(
        "test.select",
        ("REQ-086",),
        "run_tests(select=...) runs the tests dbt selects.",
        f"{_TEST} (select)",
    ),
    R(
        "test.fail",
        ("REQ-086",),
        "A failing data test is a failed result with dbt's counts, not an exception.",
        f"{_TEST} (Returns); DBTRunResult",
    ),
    R(
        "test.warn",
        ("REQ-086",),
        "A test of warn severity runs and is counted, and is not a failure: success stays True.",
        "floe_core.artifacts (warnings are not failures)",
    ),
    # -- results and artifacts --------------------------------------------------------------
    R(
        "result.paths",
        ("REQ-086",),
        "A result's manifest_path and run_results_path are "
        "existing manifest.json and run_results.json files; catalog_path, when given, too.",
        "DBTRunResult (manifest_path, run_results_path, catalog_path)",
    ),
    R(
        "result.time",
        ("REQ-086",),
        "execution_time_seconds is the invocation's wall time: "
        "above 0 and no more than the call took.",
        "DBTRunResult.execution_time_seconds",
    ),
    R(
        "result.metadata",
        ("REQ-086",),
        "A result's metadata is JSON-serialisable.",
        "DBTRunResult.metadata",
    ),
    R(
        "artifacts.latest",
        ("REQ-086",),
        "After each call, get_manifest() and get_run_results() answer that call's artifacts.",
        "DBTPlugin.get_manifest, DBTPlugin.get_run_results ('the latest')",
    ),
    R(
        "artifacts.none-yet",
        ("REQ-086",),
        "Before anything ran on a project (or after calls "
        "that produced nothing), get_manifest() and get_run_results() raise "
        "DBTArtifactNotFoundError.",
        "DBTPlugin.get_manifest, get_run_results (Raises)",
    ),
    # -- errors -----------------------------------------------------------------------------
    R(
        "errors.unparseable",
        ("REQ-086", "REQ-087"),
        "A project dbt cannot parse raises "
        "DBTCompilationError from compile_project, run_models and run_tests.",
        "DBTPlugin (Raises DBTCompilationError); REQ-087 (wrap dbtRunner exceptions)",
    ),
    R(
        "errors.execution",
        ("REQ-086", "REQ-087"),
        "When dbt cannot run at all (a profile or "
        "target that does not exist), compile_project, run_models and run_tests raise "
        "DBTExecutionError.",
        "DBTPlugin (Raises DBTExecutionError); floe_core.errors",
    ),
    R(
        "errors.unreadable-project",
        ("REQ-086", "REQ-087"),
        "A project directory that does not resolve (a loop "
        "of links) or a project file nobody can read (a link to itself) makes compile_project, "
        "run_models and run_tests raise what dbt's failure means, never a bare OSError.",
        "DBTPlugin (Raises DBTExecutionError); REQ-087 (wrap dbtRunner exceptions)",
    ),
    R(
        "errors.message",
        ("REQ-086",),
        "A raised error names what dbt named (the file, "
        "profile or target at fault), so a person can act on it.",
        f"{_CONTRACT_PAGE} (a message a person can act on)",
    ),
    R(
        "config.hostile-input",
        ("REQ-086",),
        "A select, exclude or target that is not dbt "
        "syntax raises DBTConfigurationError before anything runs.",
        "floe_core.selectors (a selector is a dbt selection expression, never an argument list)",
    ),
    # -- observability ----------------------------------------------------------------------
    R(
        "spans.invocation",
        ("REQ-087",),
        "Every invocation emits exactly one floe.dbt.<command> span, in the caller's trace.",
        f"{_CONTRACT_PAGE} (OpenTelemetry)",
    ),
    R(
        "spans.attributes",
        ("REQ-087",),
        "An invocation's span carries the runtime type, the "
        "command, the target, select/exclude/full_refresh as given, and a result's counts and "
        "success.",
        "floe_core.telemetry.dbt_span, record_result",
    ),
    R(
        "spans.status",
        ("REQ-087",),
        "An invocation's span has status ERROR exactly when it raised or its result failed.",
        "floe_core.telemetry.record_result",
    ),
    R(
        "secrets.repr",
        ("REQ-086",),
        "The runtime's repr and str show no secret.",
        "brief: a secret never appears in reprs",
        "secrets",
    ),
    R(
        "secrets.errors",
        ("REQ-086",),
        "No exception message holds a secret.",
        "brief: a secret never appears in exceptions",
        "secrets",
    ),
    R(
        "secrets.spans",
        ("REQ-087",),
        "No span attribute holds a secret.",
        "certifying guide: no secret in spans",
        "secrets",
    ),
    R(
        "secrets.logs",
        ("REQ-087",),
        "No log record, at any level, holds a secret.",
        "brief: a secret never appears in logs",
        "secrets",
    ),
    R(
        "secrets.files",
        ("REQ-086",),
        "No file the runtime writes into the project holds a secret.",
        "brief: a secret never appears in files",
        "secrets",
    ),
    # -- concurrency ------------------------------------------------------------------------
    R(
        "concurrency.serialised",
        ("REQ-093",),
        "Concurrent calls of every method that invokes "
        "dbt, across two instances, never overlap, and each ends as dbt says.",
        "REQ-093 (lock for all dbt invocations, class-level)",
        "serialised_execution",
    ),
    R(
        "concurrency.parallel",
        ("REQ-093",),
        "Concurrent runs and compiles all complete, each as dbt says.",
        "DBTPlugin.supports_parallel_execution",
        "parallel_execution",
    ),
    # -- artifact cache ---------------------------------------------------------------------
    R(
        "cache.layout",
        ("REQ-092",),
        "Cache entries are <root>/<run_id>/ with the artifacts "
        "and metadata.json's fields (cached_at ISO-8601 UTC).",
        "REQ-092 (cache structure)",
        "artifact_cache",
    ),
    R(
        "cache.hit",
        ("REQ-092",),
        "A hit within the TTL makes no remote call.",
        "REQ-092 (checks cache before API request)",
        "artifact_cache",
    ),
    R(
        "cache.expiry",
        ("REQ-092",),
        "An entry older than the TTL is fetched again and cached_at moves.",
        "REQ-092 (TTL 24 h)",
        "artifact_cache",
    ),
    R(
        "cache.corrupt",
        ("REQ-092",),
        "A corrupt entry is a miss and is fetched again, never a crash.",
        "the cloud runtime page",
        "artifact_cache",
    ),
    R(
        "cache.disabled",
        ("REQ-092",),
        "FLOE_DISABLE_CACHE=true: the cache is neither read nor written.",
        "REQ-092 (FLOE_DISABLE_CACHE)",
        "artifact_cache",
    ),
    R(
        "cache.no-cache",
        ("REQ-092",),
        "An instance built with no_cache=True bypasses the cache and refreshes it.",
        "REQ-092 (floe compile --no-cache)",
        "artifact_cache",
    ),
    R(
        "cache.no-secret",
        ("REQ-092",),
        "No secret is written to the cache.",
        "the cloud runtime page",
        "artifact_cache",
    ),
    R(
        "cache.private",
        ("REQ-092",),
        "Cache directories and files are private to the user (0700/0600).",
        "the cloud runtime page",
        "artifact_cache",
    ),
    # -- the lifecycle capability -----------------------------------------------------------
    R(
        "lifecycle.seed",
        ("REQ-086",),
        "seed() loads what dbt seed loads (select, exclude), with its nodes, counts and tables.",
        f"{_LIFE}.seed",
        "lifecycle",
    ),
    R(
        "lifecycle.seed-failure",
        ("REQ-086",),
        "A seed with a bad row is a failed result (the "
        "seed counted in failures), not an exception.",
        f"{_LIFE}.seed (Returns)",
        "lifecycle",
    ),
    R(
        "lifecycle.seed-full-refresh",
        ("REQ-086",),
        "seed(full_refresh=True) recreates a seed "
        "whose columns changed, which a plain seed cannot load.",
        f"{_LIFE}.seed (full_refresh)",
        "lifecycle",
    ),
    R(
        "lifecycle.snapshot",
        ("REQ-086",),
        "snapshot() records a change of the snapshotted "
        "data on its next run, as dbt snapshot does.",
        f"{_LIFE}.snapshot",
        "lifecycle",
    ),
    R(
        "lifecycle.build",
        ("REQ-086",),
        "build() runs seeds, snapshots, models and tests in "
        "DAG order; a failing test skips the models downstream of it.",
        f"{_LIFE}.build",
        "lifecycle",
    ),
    R(
        "lifecycle.vars",
        ("REQ-086",),
        "vars= reaches dbt as --vars and changes what models "
        "hold; a call's vars are merged over the bound ones.",
        f"{_LIFE} (vars)",
        "lifecycle",
    ),
    R(
        "lifecycle.with-vars",
        ("REQ-086",),
        "with_vars() returns a new runtime of the same "
        "class whose every invocation, the seven methods included, passes the vars; the "
        "original is unchanged.",
        f"{_LIFE}.with_vars",
        "lifecycle",
    ),
    R(
        "lifecycle.counts",
        ("REQ-086",),
        "Every lifecycle result carries metadata seeds_run "
        "and snapshots_run as count_lifecycle_nodes counts them.",
        "floe_core.lifecycle (counting rules)",
        "lifecycle",
    ),
    R(
        "lifecycle.hostile-input",
        ("REQ-086",),
        "Selectors that are not dbt syntax and vars "
        "that are not JSON values raise DBTConfigurationError before anything runs.",
        f"{_LIFE} (Raises DBTConfigurationError)",
        "lifecycle",
    ),
    R(
        "lifecycle.spans",
        ("REQ-087",),
        "seed, snapshot and build each emit one "
        "floe.dbt.<command> span with their attributes and status.",
        f"{_CONTRACT_PAGE} (every dbt invocation is a span)",
        "lifecycle",
    ),
    # -- generated projects -----------------------------------------------------------------
    R(
        "generated.agrees",
        ("REQ-086", "REQ-094"),
        "On generated projects (random DAGs and "
        "materialisations, tests with planted failures and warnings, planted SQL errors, random "
        "selectors and exclusions) every call ends as it does on dbt-core.",
        f"{_SPEC}; {_CONTRACT_PAGE}",
    ),
)
del R

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
        "httpx pooling, timeouts, retries and steps_override.",
        "REQ-088",
        "the cloud runtime's internals (tests/cloud); the kit checks their effects",
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


def markdown() -> str:
    """The catalogue as the documentation page ``docs/reference/promises.md``."""
    lines = [
        "# The promise catalogue",
        "",
        "<!-- Generated by `python -m floe_dbt_compliance.catalogue`; do not edit by hand. -->",
        "",
        "Every promise a dbt runtime makes to floe, and how the compliance kit holds it to",
        "it. Each row is one line of the certificate; the kit's own tests prove each row",
        "with at least one broken runtime that the kit refuses on exactly that row. Where",
        "dbt-core is the truth (nodes, statuses, counts, errors, warehouse effects) the kit",
        "compares the runtime with plain dbt-core running the same scenario on another copy",
        "of the project; hand-written expectations remain only where dbt is not the truth",
        "(spans, locks, the artifact cache, secrets).",
        "",
        "## Capabilities",
        "",
        "A row that depends on a capability is *n/a* for a runtime without it.",
        "",
        "| capability | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{c.name}` | {c.doc} |" for c in CAPABILITIES.values()]
    lines += ["", f"## Requirements ({len(REQUIREMENTS)})", ""]
    lines += ["| row | promise | where it is promised | capability |", "|---|---|---|---|"]
    lines += [
        f"| `{r.key}` | {r.title} | {r.source} | {r.capability or 'mandatory'} |"
        for r in REQUIREMENTS.values()
    ]
    lines += ["", f"## Not checkable by a kit ({len(UNCHECKED)})", ""]
    lines += ["| promise | where | why not, and where it is checked |", "|---|---|---|"]
    lines += [f"| {u.promise} | {u.source} | {u.reason} |" for u in UNCHECKED]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
