"""Rows: the lifecycle capability (seed, snapshot, build and vars), n/a for runtimes without it."""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue.sources import CONTRACT_PAGE, LIFE
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import LIFECYCLE
from floe_dbt_compliance.observe import ASPECTS

ORACLE = Observes.ORACLE
HAS = Capability.LIFECYCLE
# The lifecycle counts are lifecycle.counts' own promise: the other rows leave them out,
# so that a runtime without them is refused on that row only.
WITHOUT_COUNTS = tuple(aspect for aspect in ASPECTS if aspect != "lifecycle")
ROWS = (
    Requirement(
        "lifecycle.seed",
        "seed() loads what dbt seed loads (select, exclude), with its nodes, counts and tables.",
        source=f"{LIFE}.seed",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("seed_select", "seed_exclude")),),
        aspects=WITHOUT_COUNTS,
    ),
    Requirement(
        "lifecycle.seed-failure",
        "A seed with a bad row is a failed result (the seed counted in failures), not an "
        "exception.",
        source=f"{LIFE}.seed (Returns)",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("seed_all",)),),
        aspects=WITHOUT_COUNTS,
    ),
    Requirement(
        "lifecycle.seed-full-refresh",
        "seed(full_refresh=True) recreates a seed whose columns changed, which a plain seed "
        "cannot load.",
        source=f"{LIFE}.seed (full_refresh)",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("seed_widened", "seed_full_refresh")),),
        aspects=WITHOUT_COUNTS,
    ),
    Requirement(
        "lifecycle.snapshot",
        "snapshot() records a change of the snapshotted data on its next run, as dbt snapshot "
        "does.",
        source=f"{LIFE}.snapshot",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("snapshot_first", "seed_changed", "snapshot_second")),),
        aspects=WITHOUT_COUNTS,
        warehouse=True,
    ),
    Requirement(
        "lifecycle.build",
        "build() runs seeds, snapshots, models and tests in DAG order; a failing test skips "
        "the models downstream of it.",
        source=f"{LIFE}.build",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("build",)),),
        aspects=WITHOUT_COUNTS,
    ),
    Requirement(
        "lifecycle.vars",
        "vars= reaches dbt as --vars and changes what models hold; a call's vars are merged "
        "over the bound ones.",
        source=f"{LIFE} (vars)",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("vars_build", "vars_merge")),),
        aspects=WITHOUT_COUNTS,
        warehouse=True,
    ),
    Requirement(
        "lifecycle.with-vars",
        "with_vars() returns a new runtime of the same class whose every invocation, the "
        "seven methods included, passes the vars; the original is unchanged.",
        source=f"{LIFE}.with_vars",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("vars_run", "vars_test", "plain_run")),),
        aspects=WITHOUT_COUNTS,
        warehouse=True,
    ),
    Requirement(
        "lifecycle.counts",
        "Every lifecycle result carries metadata seeds_run and snapshots_run as "
        "count_lifecycle_nodes counts them.",
        source="floe_core.lifecycle (counting rules)",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=(
            (LIFECYCLE, ("seed_all", "seed_select", "build", "snapshot_first", "snapshot_second")),
        ),
        aspects=("raised", "lifecycle"),
    ),
    Requirement(
        "lifecycle.hostile-input",
        "Selectors that are not dbt syntax and vars that are not JSON values raise "
        "DBTConfigurationError before anything runs.",
        source=f"{LIFE} (Raises DBTConfigurationError)",
        req_ids=("REQ-086",),
        capability=HAS,
        observes=ORACLE,
        reads=((LIFECYCLE, ("hostile_seed", "hostile_vars", "hostile_bound", "hostile_exclude")),),
        aspects=WITHOUT_COUNTS,
    ),
    Requirement(
        "lifecycle.spans",
        "seed, snapshot and build each emit one floe.dbt.<command> span with their attributes "
        "and status.",
        source=f"{CONTRACT_PAGE} (every dbt invocation is a span)",
        req_ids=("REQ-087",),
        capability=HAS,
        reads=((LIFECYCLE, ("seed_all", "build", "vars_merge", "snapshot_first")),),
    ),
)
