"""Rows: the fail-fast and state capabilities (dbt's -x, state: selectors and --defer).

Each is n/a for a runtime without its capability; a row that reads a
``build`` step is n/a without the lifecycle capability too. The warehouse is
not compared on the fail-fast rows: dbt cancels what is running when it
stops, and a node it reports ``skipped`` may have finished writing already.
"""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.catalogue.sources import FAIL_FAST, STATE
from floe_dbt_compliance.declaration import Observes, Requirement
from floe_dbt_compliance.fixture_scenarios import FAIL_FAST as FAIL_FAST_SCENARIO
from floe_dbt_compliance.fixture_scenarios import (
    FAIL_FAST_BUILD,
    FAIL_FAST_TESTS,
)
from floe_dbt_compliance.fixture_scenarios import (
    STATE as STATE_SCENARIO,
)
from floe_dbt_compliance.observe import ASPECTS

ORACLE = Observes.ORACLE
# The lifecycle counts are lifecycle.counts' own promise; the warehouse see above.
NODES = tuple(aspect for aspect in ASPECTS if aspect not in ("lifecycle", "warehouse"))
WITH_WAREHOUSE = tuple(aspect for aspect in ASPECTS if aspect != "lifecycle")
ROWS = (
    Requirement(
        "fail-fast.stops",
        "with_fail_fast().run_models() and .run_tests() stop at the first failure as dbt -x "
        "does: every node that did not finish is skipped, and the result is a failed result.",
        source=f"{FAIL_FAST}.with_fail_fast",
        req_ids=("REQ-086",),
        capability=Capability.FAIL_FAST,
        observes=ORACLE,
        reads=((FAIL_FAST_SCENARIO, ("run_x",)), (FAIL_FAST_TESTS, ("test_x",))),
        aspects=NODES,
    ),
    Requirement(
        "fail-fast.build",
        "with_fail_fast().build() stops at the first failing seed, model or test as "
        "dbt build -x does.",
        source=f"{FAIL_FAST}.with_fail_fast",
        req_ids=("REQ-086",),
        capability=Capability.FAIL_FAST,
        observes=ORACLE,
        reads=((FAIL_FAST_BUILD, ("build_x",)),),
        aspects=NODES,
    ),
    Requirement(
        "fail-fast.bound",
        "with_fail_fast() returns a new runtime of the same class; the runtime it was "
        "bound from still runs without --fail-fast.",
        source=f"{FAIL_FAST}.with_fail_fast",
        req_ids=("REQ-086",),
        capability=Capability.FAIL_FAST,
        observes=ORACLE,
        reads=((FAIL_FAST_SCENARIO, ("run",)),),
        aspects=NODES,
    ),
    Requirement(
        "state.modified",
        "with_state(dir): state:modified+ selects the modified model, its children and "
        "their tests, compared with the manifest in dir, as dbt --state does.",
        source=f"{STATE}.with_state",
        req_ids=("REQ-086",),
        capability=Capability.STATE,
        observes=ORACLE,
        reads=((STATE_SCENARIO, ("modified", "modified_tests")),),
        aspects=WITH_WAREHOUSE,
    ),
    Requirement(
        "state.defer",
        "with_state(dir, defer=True): parents the call does not build, and its target has "
        "not built, are read from their relations in the state's manifest, as dbt --defer.",
        source=f"{STATE}.with_state (defer)",
        req_ids=("REQ-086",),
        capability=Capability.STATE,
        observes=ORACLE,
        reads=((STATE_SCENARIO, ("deferred", "deferred_tests")),),
        aspects=WITH_WAREHOUSE,
        warehouse=True,
    ),
    Requirement(
        "state.bound",
        "with_state() returns a new runtime of the same class; the runtime it was bound "
        "from still runs without --state and --defer.",
        source=f"{STATE}.with_state",
        req_ids=("REQ-086",),
        capability=Capability.STATE,
        observes=ORACLE,
        reads=((STATE_SCENARIO, ("plain",)),),
        aspects=WITH_WAREHOUSE,
    ),
)
