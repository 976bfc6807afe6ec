"""The broken acme variants: entry-point name -> where the class is, and the rows it breaks.

Each variant keeps every promise but one (sometimes one promise shows on two
rows); the kit must refuse it on exactly the rows listed here. Kept apart
from ``acme_dbt`` so listing them does not import dbt-core.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    """A broken runtime.

    Attributes:
        target: ``module:attribute`` its entry point names (in ``acme_dbt``).
        rows: The catalogue rows the kit must refuse it on, and only those.
        harness: The class the test harness builds, when the entry point is
            not a class.
        default_harness: Built by the kit's default harness (no hook), not
            the acme conftest's.
    """

    target: str
    rows: tuple[str, ...]
    harness: str | None = None
    default_harness: bool = False


def _v(target: str, *rows: str, **options: object) -> Variant:
    return Variant(target, rows, **options)  # type: ignore[arg-type]


IF, C, R, E = "broken_interface", "broken_compile", "broken_run", "broken_errors"
S, OB, X, K = "broken_results", "broken_observability", "broken_concurrency", "broken_cache"
L, G, F = "broken_lifecycle", "broken_generated", "broken_config"
P = "broken_projects"
RF = "broken_run_flags"

VARIANTS: dict[str, Variant] = {
    # the interface
    # Not a DBTPlugin: the registry refuses it and its class has none of the methods.
    "acme-duck-typed": _v(
        f"{IF}:DuckTyped", "interface.subclass", "interface.entry-point", "interface.signatures"
    ),
    "acme-wrong-signature": _v(f"{IF}:WrongSignature", "interface.signatures"),
    "acme-renamed-parameter": _v(f"{IF}:RenamedParameter", "interface.signatures"),
    "acme-entry-point-function": _v(
        f"{IF}:make_acme",
        "interface.subclass",
        "interface.entry-point",
        "interface.signatures",
        harness="AcmeRuntime",
    ),
    "acme-metadata-without-type": _v(f"{OB}:MetadataWithoutType", "metadata.type"),
    "acme-metadata-not-json": _v(f"{OB}:MetadataNotJson", "metadata.type"),
    # compile
    "acme-wrong-manifest-path": _v(f"{C}:WrongManifestPath", "compile.manifest"),
    "acme-compile-only-parses": _v(f"{C}:CompileOnlyParses", "compile.manifest"),
    "acme-compile-error-as-execution": _v(f"{C}:CompileErrorAsExecution", "compile.node-error"),
    # run and test
    "acme-ignores-select": _v(f"{R}:IgnoresSelect", "run.select", "run.select-exclude"),
    "acme-ignores-exclude": _v(f"{R}:IgnoresExclude", "run.exclude", "run.select-exclude"),
    "acme-ignores-full-refresh": _v(f"{R}:IgnoresFullRefresh", "run.full-refresh"),
    "acme-always-full-refresh": _v(f"{R}:AlwaysFullRefresh", "run.select"),
    "acme-exclude-drops-select": _v(f"{R}:ExcludeDropsSelect", "run.select-exclude"),
    # "a b" selects a: the union in select_exclude loses stg_orders too.
    "acme-first-member-only": _v(
        f"{R}:FirstMemberOnly", "run.selector-syntax", "run.select-exclude"
    ),
    # "+customers" builds customers alone; what the next call needs is missing.
    "acme-strips-graph-operators": _v(
        f"{R}:StripsGraphOperators", "run.selector-syntax", "run.select-exclude"
    ),
    "acme-intersection-as-union": _v(f"{R}:IntersectionAsUnion", "run.selector-syntax"),
    "acme-at-as-children": _v(f"{R}:AtAsChildren", "run.selector-syntax"),
    "acme-drops-depth": _v(f"{R}:DropsDepth", "run.selector-syntax"),
    "acme-run-is-build": _v(f"{R}:RunIsBuild", "run.all"),
    # An ignored selector is never checked either: the hostile one runs.
    "acme-test-ignores-select": _v(f"{R}:TestIgnoresSelect", "test.select", "config.hostile-input"),
    # Reusing the parse object also carries one call's compiled CTEs into the next.
    "acme-stale-parse": _v(f"{R}:StaleParse", "run.edited-project", "run.repeated"),
    "acme-shares-parse": _v(f"{R}:SharesParse", "run.repeated"),
    # Runs dbt where the project's installed packages are not: dbt refuses the project.
    "acme-drops-packages": _v(f"{R}:DropsPackages", "run.packages"),
    # results
    "acme-wrong-counts": _v(f"{S}:WrongCounts", "test.all"),
    "acme-counts-skipped": _v(f"{S}:CountsSkipped", "run.sql-error"),
    "acme-warn-is-failure": _v(f"{S}:WarnIsFailure", "test.warn"),
    "acme-warn-error": _v(f"{S}:WarnError", "test.warn", "test.fail"),
    "acme-hides-failed-test": _v(f"{S}:HidesFailedTest", "test.fail"),
    "acme-raises-on-failure": _v(f"{S}:RaisesOnFailure", "run.sql-error", "test.fail"),
    "acme-zero-time": _v(f"{S}:ZeroTime", "result.time"),
    "acme-time-in-milliseconds": _v(f"{S}:TimeInMilliseconds", "result.time"),
    "acme-result-metadata-not-json": _v(f"{S}:ResultMetadataNotJson", "result.metadata"),
    "acme-catalog-path-missing": _v(f"{S}:CatalogPathMissing", "result.paths"),
    "acme-stale-latest": _v(f"{S}:StaleLatest", "artifacts.latest"),
    "acme-stale-manifest": _v(f"{S}:StaleManifest", "artifacts.latest"),
    "acme-empty-artifacts-before-run": _v(f"{S}:EmptyArtifactsBeforeRun", "artifacts.none-yet"),
    # errors and hostile input
    "acme-wrong-exception": _v(
        f"{E}:WrongExceptionType", "errors.unparseable", "compile.node-error"
    ),
    "acme-execution-as-compilation": _v(f"{E}:ExecutionAsCompilation", "errors.execution"),
    "acme-parse-error-as-result": _v(f"{E}:ParseErrorAsResult", "errors.unparseable"),
    "acme-ignores-target": _v(f"{E}:IgnoresTarget", "errors.execution", "config.hostile-input"),
    "acme-generic-message": _v(f"{E}:GenericMessage", "errors.message"),
    "acme-resolves-project-dir": _v(f"{E}:ResolvesProjectDir", "errors.unreadable-project"),
    "acme-hashes-project-files": _v(f"{E}:HashesProjectFiles", "errors.unreadable-project"),
    # A span records the exception it ends with, message and all.
    "acme-secret-in-error": _v(f"{E}:SecretInError", "secrets.errors", "secrets.spans"),
    "acme-passes-flags": _v(f"{F}:PassesFlags", "config.hostile-input"),
    "acme-unchecked-exclude": _v(f"{F}:UncheckedExclude", "config.hostile-input"),
    "acme-unchecked-target": _v(f"{F}:UncheckedTarget", "config.hostile-input"),
    # observability and secrets
    "acme-no-span": _v(f"{OB}:NoSpan", "spans.invocation"),
    "acme-double-span": _v(f"{OB}:DoubleSpan", "spans.invocation"),
    "acme-span-without-counts": _v(f"{OB}:SpanWithoutCounts", "spans.attributes"),
    "acme-span-without-selectors": _v(f"{OB}:SpanWithoutSelectors", "spans.attributes"),
    "acme-span-status-unset": _v(f"{OB}:SpanStatusUnset", "spans.status"),
    "acme-secret-in-span": _v(f"{OB}:SecretInSpan", "secrets.spans"),
    "acme-secret-in-metadata": _v(f"{OB}:SecretInMetadata", "metadata.no-credential"),
    "acme-secret-in-result-metadata": _v(f"{OB}:SecretInResultMetadata", "metadata.no-credential"),
    "acme-secret-in-repr": _v(f"{OB}:SecretInRepr", "secrets.repr"),
    "acme-secret-in-logs": _v(f"{OB}:SecretInLogs", "secrets.logs"),
    # The message is clean; an OpenTelemetry logging bridge exports the token as an attribute.
    "acme-secret-in-log-attributes": _v(f"{OB}:SecretInLogAttributes", "secrets.logs"),
    "acme-secret-in-target": _v(f"{OB}:SecretInTarget", "secrets.files"),
    # concurrency
    "acme-no-lock": _v(f"{X}:NoLock", "concurrency.serialised", default_harness=True),
    "acme-per-instance-lock": _v(
        f"{X}:PerInstanceLock", "concurrency.serialised", default_harness=True
    ),
    "acme-cannot-say-parallel": _v(f"{X}:CannotSayParallel", "concurrency.serialised"),
    "acme-unlocked-compile": _v(f"{X}:UnlockedCompile", "concurrency.serialised"),
    "acme-unlocked-test": _v(f"{X}:UnlockedTest", "concurrency.serialised"),
    "acme-unlocked-build": _v(f"{X}:UnlockedBuild", "concurrency.serialised"),
    "acme-claims-parallel": _v(f"{X}:ClaimsParallel", "concurrency.parallel"),
    # the artifact cache
    "acme-stale-cache": _v(f"{K}:StaleCache", "cache.expiry"),
    "acme-ignores-disable-cache": _v(f"{K}:IgnoresDisableCache", "cache.disabled"),
    "acme-ignores-no-cache": _v(f"{K}:IgnoresNoCache", "cache.no-cache"),
    "acme-secret-in-cache": _v(f"{K}:SecretInCache", "cache.no-secret"),
    "acme-loose-cache-modes": _v(f"{K}:LooseCacheModes", "cache.private"),
    "acme-crashes-on-corrupt-cache": _v(f"{K}:CrashesOnCorruptCache", "cache.corrupt"),
    "acme-cache-never-hits": _v(f"{K}:CacheNeverHits", "cache.hit"),
    "acme-cache-without-account": _v(f"{K}:CacheWithoutAccount", "cache.layout"),
    # one instance, one cache directory, several projects
    # The newest entry answers for every project: another project's manifest comes back.
    "acme-cache-without-project": _v(
        f"{K}:CacheWithoutProject", "projects.latest", "projects.cache-hit"
    ),
    "acme-cache-one-project": _v(f"{K}:CacheOneProject", "projects.cache-hit"),
    "acme-latest-of-instance": _v(f"{P}:LatestOfInstance", "projects.latest"),
    # The second project's calls run on the first one's profile (another's is missing).
    "acme-first-profiles-dir": _v(f"{P}:FirstProfilesDir", "projects.agree"),
    # the lifecycle capability
    # Every seed loads, the bad one too, whatever is selected (and nothing is checked).
    "acme-seed-ignores-select": _v(
        f"{L}:SeedIgnoresSelect",
        "lifecycle.seed",
        "lifecycle.counts",
        "lifecycle.snapshot",
        "lifecycle.hostile-input",
    ),
    "acme-seed-ignores-full-refresh": _v(
        f"{L}:SeedIgnoresFullRefresh", "lifecycle.seed-full-refresh"
    ),
    "acme-bad-seed-raises": _v(f"{L}:BadSeedRaises", "lifecycle.seed-failure", "lifecycle.counts"),
    "acme-snapshot-once": _v(f"{L}:SnapshotOnce", "lifecycle.snapshot"),
    "acme-build-ignores-exclude": _v(f"{L}:BuildIgnoresExclude", "lifecycle.build"),
    "acme-build-is-run-then-test": _v(f"{L}:BuildIsRunThenTest", "lifecycle.build"),
    "acme-vars-ignored": _v(f"{L}:VarsIgnored", "lifecycle.vars"),
    "acme-vars-replace-bound": _v(f"{L}:VarsReplaceBound", "lifecycle.vars"),
    # The runtime it was asked about carries the vars into every later call.
    "acme-with-vars-mutates": _v(f"{L}:WithVarsMutates", "lifecycle.with-vars"),
    "acme-bound-vars-only-in-lifecycle": _v(f"{L}:BoundVarsOnlyInLifecycle", "lifecycle.with-vars"),
    "acme-no-lifecycle-counts": _v(f"{L}:NoLifecycleCounts", "lifecycle.counts"),
    "acme-unchecked-vars": _v(f"{L}:UncheckedVars", "lifecycle.hostile-input"),
    "acme-lifecycle-without-spans": _v(f"{L}:LifecycleWithoutSpans", "lifecycle.spans"),
    # the fail-fast and state capabilities
    "acme-ignores-fail-fast": _v(f"{RF}:IgnoresFailFast", "fail-fast.stops", "fail-fast.build"),
    "acme-fail-fast-only-on-contract": _v(f"{RF}:FailFastOnlyOnContract", "fail-fast.build"),
    # The runtime it was asked about stops early too: its plain run skips `independent`.
    "acme-fail-fast-mutates": _v(f"{RF}:FailFastMutates", "fail-fast.bound"),
    # dbt refuses state: without a manifest to compare with: an exception, not a result.
    "acme-ignores-state": _v(f"{RF}:IgnoresState", "state.modified", "state.defer"),
    "acme-ignores-defer": _v(f"{RF}:IgnoresDefer", "state.defer"),
    # Its latest manifest is the edited project's: nothing is modified, nothing selected.
    "acme-state-from-target": _v(f"{RF}:StateFromTarget", "state.modified", "state.defer"),
    # The runtime it was asked about defers too: its plain run reads prod's parent.
    "acme-state-mutates": _v(f"{RF}:StateMutates", "state.bound"),
    # only generated projects expose these: runtimes tuned to the kit's fixture projects
    "acme-selects-only-on-known-projects": _v(
        f"{G}:SelectsOnlyOnKnownProjects", "generated.agrees"
    ),
    # the fixtures exclude one name at a time
    "acme-excludes-first-member-only": _v(f"{G}:ExcludesFirstMemberOnly", "generated.agrees"),
}


#: Right on DuckDB, wrong on PostgreSQL: the kit refuses them on these rows with
#: ``--floe-dbt-warehouse postgres`` and certifies them on the same rows on DuckDB.
WAREHOUSE_ROWS = ("run.all", "lifecycle.snapshot")
POSTGRES_VARIANTS: dict[str, Variant] = {
    # Its tables land in public, not in the schema the target names.
    "acme-default-schema": _v("broken_warehouse:DefaultSchema", *WAREHOUSE_ROWS),
    # Its tables land in another database of the same server.
    "acme-own-database": _v("broken_warehouse:OwnDatabase", *WAREHOUSE_ROWS),
}

#: Wrong only on a user's project: proven with --floe-dbt-project examples/jaffle_shop.
USER_VARIANTS: dict[str, Variant] = {
    "acme-drops-one-node": _v("broken_user:DropsOneNode", "project.agrees", "project.lifecycle"),
}
#: The cloud runtime talking to dbt Cloud wrongly: proven on the bundled emulator, built by
#: its harness (``test_kit_refuses_broken_cloud.py``). Each also runs a row it keeps.
CLOUD_VARIANTS: dict[str, Variant] = {
    # Every failure is final: the transient ones, the repeated ones and the rate limit.
    "cloud-never-retries": _v(
        "broken_cloud:NeverRetries",
        "remote.retries-transient",
        "remote.backoff",
        "remote.rate-limit",
    ),
    "cloud-retries-answers": _v("broken_cloud:RetriesAnswers", "remote.no-retry-answers"),
    "cloud-short-backoff": _v("broken_cloud:ShortBackoff", "remote.backoff"),
    "cloud-ignores-retry-after": _v("broken_cloud:IgnoresRetryAfter", "remote.rate-limit"),
    "cloud-never-cancels": _v("broken_cloud:NeverCancels", "remote.timeout-cancels"),
    "cloud-retriggers": _v("broken_cloud:Retriggers", "remote.trigger-once"),
    # Its entries pass for the cache rows (every field there), but name the wrong job.
    "cloud-fixed-rate-polling": _v("broken_cloud:PollsAtFixedRate", "remote.polling"),
    "cloud-polls-runs-list": _v("broken_cloud:PollsTheRunsList", "remote.polling"),
    "cloud-cache-one-job": _v("broken_cloud:CacheRecordsOneJob", "remote.cache-identity"),
    # Survives every single fault the remote.* rows inject, not a lost artifact download.
    "cloud-fragile-artifacts": _v("broken_cloud:FragileArtifacts", "remote.chaos"),
}
#: Every variant, whichever session proves it.
ALL_VARIANTS: dict[str, Variant] = {**VARIANTS, **POSTGRES_VARIANTS, **USER_VARIANTS}
#: And the cloud ones, kept apart: the acme harness cannot build them.
EVERY_VARIANT: dict[str, Variant] = {**ALL_VARIANTS, **CLOUD_VARIANTS}
