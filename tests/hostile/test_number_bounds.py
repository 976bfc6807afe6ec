"""Hardening round 2, numbers: every knob bounded the same way in manifest.yaml and in Python.

Before the fix: ``poll_interval_seconds=1e-300`` passed validation and sent
3,221 status requests in 5 s; ``timeout_seconds`` of ``inf`` or ``1e300`` and
``lock_timeout_seconds=1e12`` were refused in ``manifest.yaml`` but accepted
by the constructors, then never timed out or raised ``OverflowError``. Each
bound is now defined once (:mod:`floe_core.bounds`) and checked by both
doors. The ranges below are the documented ones, written out independently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from config_manifests import CLOUD, write
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError, ManifestError
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud.cache import ArtifactCache
from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.discovery import DiscoveryClient
from floe_dbt_cloud.invocation import Waiting
from floe_dbt_cloud.polling import wait_for_run
from floe_dbt_cloud.retry import RetryPolicy
from floe_dbt_local import LocalDBTPlugin

# The documented ranges: (lowest, lowest included, highest, words).
RANGES: dict[str, tuple[float, bool, float, str]] = {
    "lock_timeout_seconds": (0, False, 86_400, "seconds greater than 0 and at most 86400 (a day)"),
    "poll_interval_seconds": (0.05, True, 3_600, "seconds from 0.05 to 3600 (an hour)"),
    "timeout_seconds": (0, False, 604_800, "seconds greater than 0 and at most 604800 (a week)"),
    "cache_ttl_hours": (0, False, 8_760, "hours greater than 0 and at most 8760 (a year)"),
    "read": (0, False, 3_600, "seconds greater than 0 and at most 3600 (an hour)"),
    "delays": (0, True, 3_600, "seconds from 0 to 3600 (an hour)"),
}
MOCK = httpx.MockTransport(lambda request: httpx.Response(500))


def in_range(knob: str, value: float) -> bool:
    low, inclusive, high, _ = RANGES[knob]
    above = value >= low if inclusive else value > low
    return math.isfinite(value) and above and value <= high


def _cloud(**options: Any) -> DBTCloudPlugin:
    return DBTCloudPlugin(
        "1",
        SecretStr("t" * 20),
        job_ids={"compile": 1, "run": 2, "test": 3},
        transport=MOCK,
        **options,
    )


def _run_never_polled(**options: Any) -> None:
    class NoApi:
        def get_run(self, run_id: int, **_: Any) -> Any:
            raise AssertionError("polled with a value outside the bounds")

        def cancel_run(self, run_id: int) -> Any:
            return None

    wait_for_run(NoApi(), 1, sleep=lambda s: None, clock=lambda: 0.0, **options)


# knob -> (field named in the message, how the constructor door is called, what it kept)
DOORS: dict[str, list[tuple[str, Callable[[float], Any], Callable[[Any], float] | None]]] = {
    "lock_timeout_seconds": [
        ("lock_timeout_seconds", lambda v: LocalDBTPlugin(v), lambda r: r.lock_timeout_seconds),
    ],
    "poll_interval_seconds": [
        (
            "poll_interval_seconds",
            lambda v: _cloud(poll_interval_seconds=v),
            lambda r: r.poll_interval_seconds,
        ),
        (
            "poll_interval_seconds",
            lambda v: Waiting(v, 60, print, float),
            lambda r: r.poll_interval,
        ),
    ],
    "timeout_seconds": [
        ("timeout_seconds", lambda v: _cloud(timeout_seconds=v), lambda r: r.timeout_seconds),
        ("timeout_seconds", lambda v: Waiting(5, v, print, float), lambda r: r.timeout),
    ],
    "cache_ttl_hours": [
        (
            "cache_ttl_hours",
            lambda v: _cloud(cache_ttl_hours=v),
            lambda r: r.cache.ttl.total_seconds() / 3600,
        ),
        (
            "cache_ttl_hours",
            lambda v: ArtifactCache(Path("/nonexistent"), host="h", ttl_hours=v),
            lambda r: r.ttl.total_seconds() / 3600,
        ),
    ],
    "read": [
        (
            "timeout.read",
            lambda v: AdminApiClient(
                "https://x/api/v2", "1", SecretStr("t"), timeout=httpx.Timeout(10, read=v)
            ),
            None,
        ),
        (
            "timeout.read",
            lambda v: DiscoveryClient(
                "https://x/graphql", SecretStr("t"), timeout=httpx.Timeout(10, read=v)
            ),
            None,
        ),
        ("http_timeout.read", lambda v: _cloud(http_timeout=httpx.Timeout(10, read=v)), None),
    ],
    "delays": [
        ("delays[1]", lambda v: RetryPolicy(delays=(2.0, v)), lambda r: r.delays[1]),
        ("max_retry_after", lambda v: RetryPolicy(max_retry_after=v), lambda r: r.max_retry_after),
    ],
}

EDGES = (1e-300, math.inf, 1e300, 1e12, math.nan, -0.0, 5e-324)


def at_the_edges(test: Callable[..., None]) -> Callable[..., None]:
    """The values the campaign found, tried on every run besides the generated ones."""
    for value in EDGES:
        test = example(value=value)(test)
    return test


NUMBERS = (
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
    | st.floats(min_value=-1e4, max_value=1e6)
    | st.integers(min_value=-(10**20), max_value=10**20)
)


@pytest.mark.parametrize("knob", sorted(DOORS))
@settings(max_examples=60, derandomize=True, deadline=None)
@given(value=NUMBERS)
@at_the_edges
def test_every_constructor_keeps_its_number_within_bounds_or_names_the_range(
    knob: str, value: float
) -> None:
    words = RANGES[knob][3]
    for field, build, kept in DOORS[knob]:
        if in_range(knob, value):
            built = build(value)
            if kept is not None:
                assert kept(built) == pytest.approx(float(value)), field
            if hasattr(built, "close"):
                built.close()
        else:
            with pytest.raises(DBTConfigurationError) as raised:
                build(value)
            assert str(raised.value) == f"{field} must be a number of {words}, got {value!r}"


@pytest.mark.parametrize("knob", ["poll_interval_seconds", "timeout_seconds"])
@settings(max_examples=30, derandomize=True, deadline=None)
@given(value=NUMBERS)
def test_the_poller_refuses_before_its_first_request(knob: str, value: float) -> None:
    assume(not in_range(knob, value))
    options = {"poll_interval": 5.0, "timeout": 60.0}
    options["poll_interval" if knob == "poll_interval_seconds" else "timeout"] = value
    with pytest.raises(DBTConfigurationError, match=f"^{knob} must be a number of seconds"):
        _run_never_polled(**options)


@pytest.mark.parametrize("bad", [True, False, "60", b"60", None, [1], 1 + 0j])
@pytest.mark.parametrize(
    ("field", "build"),
    [
        ("lock_timeout_seconds", lambda v: LocalDBTPlugin(v)),
        ("poll_interval_seconds", lambda v: _cloud(poll_interval_seconds=v)),
        ("timeout_seconds", lambda v: _cloud(timeout_seconds=v)),
        ("cache_ttl_hours", lambda v: _cloud(cache_ttl_hours=v)),
    ],
)
def test_what_is_not_a_number_is_refused_by_type(
    field: str, build: Callable[[object], Any], bad: object
) -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        build(bad)
    assert str(raised.value).endswith(f", got {type(bad).__name__}")
    assert str(raised.value).startswith(f"{field} must be a number of ")


def test_an_http_timeout_of_none_would_wait_forever_and_is_refused() -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        _cloud(http_timeout=httpx.Timeout(None))
    assert str(raised.value) == (
        "http_timeout.connect must be a number of seconds greater than 0 and at most 3600 "
        "(an hour), got NoneType"
    )


def test_an_environment_id_is_a_dbt_cloud_id() -> None:
    for bad in (0, -1, 2**63, True):
        with pytest.raises(DBTConfigurationError, match=r"^environment_id must be a whole number"):
            _cloud(environment_id=bad)
    assert _cloud(environment_id=2**63 - 1).environment_id == 2**63 - 1


# -- the manifest door agrees with the constructor door -------------------------

MANIFESTS = {
    "lock_timeout_seconds": "plugins:\n  dbt_runtime: local\n  dbt_runtime_config:\n"
    "    local:\n      lock_timeout_seconds: VALUE\n",
    **{
        knob: f"{CLOUD}      {knob}: VALUE\n"
        for knob in ("poll_interval_seconds", "timeout_seconds", "cache_ttl_hours")
    },
}


def _yaml(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


@pytest.mark.parametrize("knob", sorted(MANIFESTS))
@settings(max_examples=40, derandomize=True, deadline=None)
@given(value=NUMBERS)
@at_the_edges
def test_the_manifest_accepts_exactly_what_the_constructor_accepts(
    tmp_path_factory: pytest.TempPathFactory, knob: str, value: float
) -> None:
    path = write(tmp_path_factory.mktemp("m"), MANIFESTS[knob].replace("VALUE", _yaml(value)))
    if in_range(knob, value):
        manifest = PlatformManifest.from_yaml(path)
        config = PluginRegistry().runtime_config(manifest)
        assert getattr(config, knob) == pytest.approx(float(value))
    else:
        with pytest.raises(ManifestError) as raised:
            PlatformManifest.from_yaml(path)
        (problem,) = raised.value.problems
        assert problem.location.endswith(f".{knob}")


def test_a_sequence_is_bounded_in_length_and_named_by_index() -> None:
    with pytest.raises(DBTConfigurationError) as raised:
        RetryPolicy(delays=(1.0,) * 11)
    assert str(raised.value) == "delays must have at most 10 entries, got 11"
    with pytest.raises(DBTConfigurationError, match=r"^delays\[2\] must be a number of seconds"):
        RetryPolicy(delays=(1.0, 2.0, -1.0))
