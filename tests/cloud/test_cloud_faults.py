"""Every programmable fault, over real HTTP: success after retries, or a clear error.

Never a corrupt cache: whatever goes wrong, the cache holds whole, valid
entries or nothing. Waits are recorded by :class:`PacedSleep` (which sleeps at
most 20 ms), so the 2/4/8 s schedule is asserted without being spent.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from cloud_helpers import PacedSleep, Served
from pydantic import SecretStr

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTAuthenticationError,
    DBTExecutionError,
    DBTExecutionTimeout,
    DBTRemoteError,
)
from floe_dbt_cloud import DBTCloudPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def _run(served: Served, sleep: PacedSleep, **options: object) -> object:
    plugin = served.plugin(sleep=sleep, **options)
    copy = served.copy
    try:
        return plugin.run_models(
            copy.project_dir, copy.profiles_dir, copy.target, select="raw_customers"
        )
    finally:
        plugin.close()


def _counts(result: object) -> tuple[object, ...]:
    return tuple(
        getattr(result, name) for name in ("models_run", "tests_run", "failures", "success")
    )


def _assert_cache_sound(served: Served) -> None:
    """Every cache entry is whole: metadata lists files that exist and parse."""
    if not served.cache_dir.exists():
        return
    for entry in served.cache_dir.iterdir():
        assert not entry.name.startswith("."), f"leftover temporary {entry}"
        metadata = json.loads((entry / "metadata.json").read_text())
        for name in metadata["artifacts"]:
            json.loads((entry / name).read_text())


def _cache_entries(served: Served) -> list[str]:
    return sorted(p.name for p in served.cache_dir.iterdir()) if served.cache_dir.exists() else []


@pytest.mark.parametrize(("retry_after", "expected_waits"), [("3", [3.0, 3.0]), (None, [2.0, 4.0])])
def test_429_with_and_without_retry_after(
    serve: Callable[..., Served],
    paced_sleep: PacedSleep,
    retry_after: str | None,
    expected_waits: list[float],
) -> None:
    served = serve()
    served.emulator.faults.fail_next(2, status=429, retry_after=retry_after, route="get_run")
    result = _run(served, paced_sleep)
    assert _counts(result) == (1, 0, 0, True)
    assert paced_sleep.retry_waits() == expected_waits
    _assert_cache_sound(served)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_on_trigger_is_retried_without_a_second_run(
    serve: Callable[..., Served], paced_sleep: PacedSleep, status: int
) -> None:
    served = serve()
    served.emulator.faults.fail_next(1, status=status, route="trigger_run")
    assert _counts(_run(served, paced_sleep)) == (1, 0, 0, True)
    assert paced_sleep.retry_waits() == [2.0]
    assert served.emulator.counters.runs_triggered == 1
    assert served.emulator.counters.requests_by_route["trigger_run"] == 2


def test_persistent_5xx_ends_in_an_error_naming_status_and_attempts(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.fail_next(4, status=503, route="trigger_run")
    with pytest.raises(DBTRemoteError, match="after 4 attempts") as raised:
        _run(served, paced_sleep)
    assert raised.value.status_code == 503
    assert raised.value.user_message == "An unexpected error occurred."
    assert paced_sleep.retry_waits() == [2.0, 4.0, 8.0]
    assert served.emulator.counters.runs_triggered == 0
    assert _cache_entries(served) == []


def test_a_request_hanging_past_the_client_timeout_is_retried(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.hang_next(1, seconds=30, route="get_run")
    # 3 s, not less: on a loaded machine an honest answer can take over a second, and a
    # spurious second timeout would add a retry the assertion below does not expect.
    result = _run(served, paced_sleep, http_timeout=httpx.Timeout(3.0))
    assert _counts(result) == (1, 0, 0, True)
    assert paced_sleep.retry_waits() == [2.0]


def test_a_dropped_connection_is_retried_on_a_new_one(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.drop_next(1, route="get_artifact")
    result = _run(served, paced_sleep)
    assert _counts(result) == (1, 0, 0, True)
    assert paced_sleep.retry_waits() == [2.0]
    assert served.emulator.counters.connections_accepted == 2
    _assert_cache_sound(served)


def test_malformed_json_while_polling_is_an_error_and_the_run_is_cancelled(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.malformed_json_next(1, route="get_run")
    with pytest.raises(DBTRemoteError, match="not JSON") as raised:
        _run(served, paced_sleep)
    assert raised.value.run_id is not None
    assert served.emulator.counters.cancels_received == 1
    assert _cache_entries(served) == []


@pytest.mark.parametrize("fault", ["malformed_json_next", "wrong_shape_next"])
def test_a_bad_run_results_artifact_is_an_error_and_is_never_cached(
    serve: Callable[..., Served], paced_sleep: PacedSleep, fault: str
) -> None:
    served = serve()
    getattr(served.emulator.faults, fault)(1, route="get_artifact")
    with pytest.raises(DBTRemoteError, match=r"run_results.json .* nothing was cached") as raised:
        _run(served, paced_sleep)
    assert raised.value.run_id is not None
    assert _cache_entries(served) == []
    assert not (served.copy.project_dir / "target" / "run_results.json").exists()


def test_a_wrong_shape_trigger_answer_is_a_clear_error(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.wrong_shape_next(1, route="trigger_run")
    with pytest.raises(
        DBTRemoteError, match=r"POST jobs/\d+/run/ does not have the expected shape"
    ):
        _run(served, paced_sleep)


@pytest.mark.parametrize(
    ("outcome", "message"),
    [("error", r"ended with status Error: Failed to clone"), ("cancelled", "was cancelled")],
)
def test_runs_ending_in_error_or_cancelled(
    serve: Callable[..., Served], paced_sleep: PacedSleep, outcome: str, message: str
) -> None:
    served = serve()
    served.emulator.faults.next_run(outcome)  # type: ignore[arg-type]
    with pytest.raises(DBTExecutionError, match=message) as raised:
        _run(served, paced_sleep)
    assert f"run {min(served.emulator.runs)}" in str(raised.value)
    assert _cache_entries(served) == []


def test_a_missing_run_results_names_the_run_and_step(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.missing_artifact("run_results.json")
    with pytest.raises(
        DBTArtifactNotFoundError, match=r"run \d+ step 3 saved no run_results\.json"
    ):
        _run(served, paced_sleep)
    assert _cache_entries(served) == []


def test_a_run_that_saved_no_manifest_fails_instead_of_pointing_at_the_last_one(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    """Hardening round 2: the result's manifest_path was the previous run's file."""
    served = serve()
    first = _run(served, paced_sleep)
    target = served.copy.project_dir / "target"
    before = {name: (target / name).read_bytes() for name in ("manifest.json", "run_results.json")}
    assert first.manifest_path == target / "manifest.json"  # type: ignore[attr-defined]
    served.emulator.faults.missing_artifact("manifest.json")
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        _run(served, paced_sleep)
    second = max(served.emulator.runs)
    assert str(raised.value) == (
        f"dbt Cloud run {second} step 3 saved no manifest.json (run status: Success); the step "
        "may have failed before dbt wrote it, see the run's logs"
    )
    # Nothing of the second run was mixed with the first run's files, or cached.
    assert {name: (target / name).read_bytes() for name in before} == before
    assert _cache_entries(served) == [str(min(served.emulator.runs))]


def test_a_run_that_never_finishes_times_out_and_is_cancelled(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    served.emulator.faults.next_run("never_finishes")
    with pytest.raises(DBTExecutionTimeout, match=r"did not finish within timeout_seconds=1\.5"):
        _run(served, paced_sleep, timeout_seconds=1.5, poll_interval_seconds=0.1)
    served.emulator.wait_for_runs(timeout=60)
    [run] = served.emulator.runs.values()
    assert run.status == 30
    assert served.emulator.counters.cancels_received == 1


@pytest.mark.parametrize("status", [401, 403, 404])
def test_client_errors_are_not_retried(
    serve: Callable[..., Served], paced_sleep: PacedSleep, status: int
) -> None:
    served = serve()
    served.emulator.faults.fail_next(1, status=status)
    with pytest.raises(DBTRemoteError) as raised:
        _run(served, paced_sleep)
    assert raised.value.status_code == status
    assert served.emulator.counters.requests_total == 1
    assert paced_sleep.requested == []


def test_a_wrong_token_is_an_authentication_error_that_never_shows_the_token(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    served = serve()
    plugin = DBTCloudPlugin(
        str(served.emulator.account_id),
        SecretStr("dbtc_wrong_token_xyz"),
        served.server.base_url,
        served.project.job_ids,
        cache_dir=served.cache_dir,
        sleep=paced_sleep,
    )
    with pytest.raises(DBTAuthenticationError, match=r"Invalid token\.") as raised:
        plugin.run_models(served.copy.project_dir, served.copy.profiles_dir, served.copy.target)
    assert "dbtc_wrong_token_xyz" not in f"{raised.value} {raised.value!r}"
    assert served.emulator.counters.requests_total == 1
