"""Rows: the conversation with a remote service (REQ-088), read from the service's request log.

For runtimes whose harness gives the service they talk to (capability
``remote_service``). Each row injects faults into the service and reads what
the runtime asked of it, and when: which failures it repeats and which it
does not, how many attempts and how long it waits between them, whether it
honours ``Retry-After``, how it polls a run that stays queued, whether it
cancels a run it stopped waiting for, and whether a lost answer makes it
start a second run. Where the runtime ends up with a result, it must equal
the fault-free call's.
"""

from __future__ import annotations

from floe_dbt_compliance.capabilities import Capability
from floe_dbt_compliance.declaration import Observes, Requirement

REMOTE = Capability.REMOTE_SERVICE
OWN = Observes.SEQUENCE
SPEC = "REQ-088 (retry logic with 3 attempts, exponential backoff 2 s, 4 s, 8 s)"
ROWS = (
    Requirement(
        "remote.retries-transient",
        "A 5xx answer or a dropped connection, on the trigger or on a poll, is tried again: "
        "the call ends as the fault-free call does, with one run started.",
        source=SPEC + "; the cloud runtime page (429, 5xx and transport errors are retried)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: injects a 502 on the trigger, a 503 and "
            "a dropped connection on polls; reads the triggers and polls the service logged "
            "(each faulted one sent again), the runs it started (one) and the result (the "
            "fault-free call's)"
        ),
    ),
    Requirement(
        "remote.no-retry-answers",
        "401, 403 and 404 are answers, not accidents: the request is sent once and the call "
        "raises a DBTError.",
        source="the cloud runtime page (never retry 401/403/404)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: answers the trigger 401, then a poll "
            "404; reads that the refused request was the last of its kind and that the call "
            "raised a DBTError"
        ),
    ),
    Requirement(
        "remote.backoff",
        "A request that keeps failing is sent 4 times (3 retries), at least 2, 4 and 8 s "
        "apart, then the call raises a DBTError and starts no run.",
        source=SPEC,
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: answers the trigger 503 four times; "
            "reads the four triggers' arrival times (gaps of at least 2, 4, 8 s), no run "
            "started, a DBTError raised"
        ),
    ),
    Requirement(
        "remote.rate-limit",
        "A 429 with Retry-After is tried again no sooner than Retry-After says (here 3 s, "
        "longer than the first backoff), and the call ends as the fault-free call does.",
        source="REQ-088 (rate limits); the cloud runtime page (honouring Retry-After)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: answers a poll 429 with Retry-After 3; "
            "reads the next poll's arrival (at least 3 s later) and the result (the fault-"
            "free call's)"
        ),
    ),
    Requirement(
        "remote.polling",
        "A run the service keeps queued is polled on its own run (the poll request, in dbt "
        "Cloud GET /accounts/{account_id}/runs/{run_id}/), and nothing else is asked before it "
        "is over; the waits between polls (from one poll's answer to the next poll) grow: "
        "the median of the last three is at least 1.5 times the shorter of the first two and "
        "a quarter of the interval longer; at most "
        "one poll arrives after the run ended. The spec promises exponential backoff but names "
        "neither its first wait nor its cap, so the row checks neither, nor any upper bound: a "
        "fixed rate (however slow) or hammering fails, any growing backoff passes.",
        source="REQ-088 (job polling uses GET /accounts/{account_id}/runs/{run_id}/ with "
        "exponential backoff); the design (polling with backoff up to timeout_seconds)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: the run stays queued 8 poll intervals, "
            "on an instance the harness builds with a known poll interval (1 s on the "
            "emulator); reads the requests from the trigger to the poll that saw the run end "
            "(the service says when it ended): only polls of that run, at least five, the "
            "time from each poll's answer to the next poll's arrival, and how many polls "
            "came after the end; the result is the fault-free call's"
        ),
    ),
    Requirement(
        "remote.timeout-cancels",
        "A run that outlives the timeout is cancelled on the service (its cancel answered) "
        "and the call raises DBTExecutionTimeout.",
        source="REQ-088 (polling up to timeout_seconds; a run that times out is cancelled)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: the run never finishes, on an instance "
            "the harness builds with a short timeout; reads a cancel answered 200 after the "
            "trigger, and DBTExecutionTimeout"
        ),
    ),
    Requirement(
        "remote.trigger-once",
        "A trigger whose answer is lost after the service started the run starts no second "
        "run: the call finds its run and ends as the fault-free call does.",
        source="the cloud runtime page (a trigger is never started twice)",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "the service's request log under faults: drops the trigger's answer after the "
            "service started the run; reads the runs started (one) and the result (the fault-"
            "free call's)"
        ),
    ),
    Requirement(
        "remote.cache-identity",
        "A call's cache entry is the run it started on the service: metadata.json's run_id "
        "is that run (the entry's directory) and its job_id the job that ran it; the next "
        "call's run gets an entry of its own.",
        source="REQ-092 (cache structure: metadata.json's run_id, account_id, job_id)",
        req_ids=("REQ-092",),
        capability=REMOTE,
        observes=OWN,
        observed=(
            "two fault-free run_models() calls; reads the run each trigger started and its "
            "job from the service's request log, and each run's entry under the harness's "
            "cache root (n/a without an artifact cache)"
        ),
    ),
    Requirement(
        "remote.chaos",
        "Under seeded random faults a correct runtime must survive (5xx, 429 with "
        "Retry-After, dropped connections, lost answers, slow answers, runs that stay "
        "queued), compile, run and test (and seed and build, with the lifecycle capability) "
        "end as they do fault-free, and the warehouse holds what it holds fault-free.",
        source="the design's chaos mode (--floe-dbt-chaos SEED); REQ-088",
        req_ids=("REQ-088",),
        capability=REMOTE,
        observes=OWN,
        chaos=True,
        observed=(
            "compile_project, run_models and run_tests, then seed and build for a runtime "
            "with the lifecycle capability, on one copy fault-free and on another "
            "under the seed's faults (chaos.plan: each call meets faults on distinct kinds of "
            "request, every kind over the sequence); compares the outcomes, the manifest's "
            "nodes and the warehouse; the certificate records the seed, its plan and every "
            "fault that fired as the request log saw it (call, fault, request, method, path, "
            "attempt)"
        ),
    ),
)
