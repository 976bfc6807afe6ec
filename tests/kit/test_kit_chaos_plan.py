"""The chaos plan: a function of the seed alone, survivable, every kind of fault met."""

from __future__ import annotations

from collections import Counter

from floe_dbt_compliance.chaos import CALLS, LIFECYCLE_CALLS, describe, plan
from floe_dbt_compliance.remote_service import ARTIFACT, POLL, TRIGGER
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.booleans())
def test_every_seed_plans_survivable_faults_of_every_kind(seed: int, lifecycle: bool) -> None:
    calls = CALLS + LIFECYCLE_CALLS if lifecycle else CALLS
    faults = plan(seed, calls)
    assert faults == plan(seed, calls)
    assert {call for call, _ in faults} == set(calls)
    kinds = {fault.request or "run" for _, fault in faults}
    assert kinds == {TRIGGER, POLL, ARTIFACT, "run"}
    assert any(call == "run" and fault.request == ARTIFACT for call, fault in faults)
    for call in calls:
        per_kind = Counter(fault.request or "run" for c, fault in faults if c == call)
        # At most one fault per kind of request and call: a retry always gets through.
        assert all(count == 1 for count in per_kind.values()), (call, per_kind)
    for _, fault in faults:
        assert fault.count == 1
        assert fault.kind != "status" or fault.status in (429, 502, 503)
        assert fault.retry_after is None or fault.retry_after <= 1
        assert fault.seconds <= 2


def test_seeds_differ_and_the_certificate_line_names_the_seed() -> None:
    assert len({tuple(plan(seed)) for seed in range(20)}) > 10
    line = describe(7)
    assert line.startswith("seed 7: compile: ")
    assert line.count(";") == len(plan(7)) - 1
