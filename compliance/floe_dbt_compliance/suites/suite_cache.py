"""Cache-TTL suite (REQ-092), for runtimes whose harness names a cache root.

One project copy is driven through a sequence whose steps the checks read:
prime (compile and run, then read the manifest), hit, hit at half the TTL,
expiry (``cached_at`` rewritten past the TTL), corrupt manifest, corrupt
metadata, ``FLOE_DISABLE_CACHE=true``, and an instance built with
``no_cache=True``. Every call is recorded with the remote calls it made
(the harness's ``remote_calls``) and the cache's files before and after it;
which nodes a manifest must hold is what plain dbt-core compiled.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dbt_compliance.observe import manifest_ids
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.recorder import Call, Recorder, read_json
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import ScenarioRun, ScenarioRuns
from floe_dbt_compliance.scenarios import Scenario, step
from floe_dbt_compliance.status import not_applicable

ARTIFACTS = {"manifest.json", "run_results.json", "catalog.json"}
METADATA_FIELDS = ("cached_at", "run_id", "account_id", "job_id", "artifacts")
_CLOCK_SLACK = timedelta(seconds=5)
PRIME = Scenario.on_fixture(
    "cache", "healthy", step("compile", "compile_project"), step("run", "run_models")
)


def entry_dirs(root: Path) -> list[Path]:
    """The cache entries (sub-directories of the root)."""
    return sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []


def parse_cached_at(value: Any) -> datetime:
    """Parse ``cached_at``: ISO-8601 with a UTC offset (``Z`` or ``+00:00``)."""
    assert isinstance(value, str), f"cached_at is {value!r}, not an ISO-8601 string"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0), f"cached_at {value!r} is not in UTC"
    return moment


def _age_entries(root: Path, moment: datetime) -> None:
    """Move every readable entry back in time so that the newest was cached at ``moment``.

    All entries shift by the same amount, so which one is newest does not
    change; unreadable entries are misses already and are left alone.
    """
    stamps: dict[Path, datetime] = {}
    for entry in entry_dirs(root):
        try:
            stamps[entry] = parse_cached_at(_metadata(entry).get("cached_at"))
        except (AssertionError, OSError, ValueError):
            continue
    if not stamps:
        return
    shift = moment - max(stamps.values())
    for entry, stamp in stamps.items():
        _write_cached_at(entry, stamp + shift)


def _corrupt_entries(root: Path, name: str, text: str) -> None:
    for entry in entry_dirs(root):
        if (entry / name).is_file():
            (entry / name).write_text(text, encoding="utf-8")


def _write_cached_at(entry: Path, moment: datetime) -> None:
    path = entry / "metadata.json"
    metadata = read_json(path)
    text = moment.isoformat()
    if str(metadata.get("cached_at", "")).endswith("Z"):
        text = text.replace("+00:00", "Z")
    metadata["cached_at"] = text
    path.write_text(json.dumps(metadata), encoding="utf-8")


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


class CacheScenario:
    """Drives one runtime through the cache sequence, recording each call."""

    def __init__(self, run: ScenarioRun) -> None:
        harness = run.harness
        assert harness.cache_root is not None
        harness.calls()  # fails the check, with how to fix it, when nothing counts remote calls
        self.run = run
        self.harness = harness
        self.recorder: Recorder = run.recorder
        self.root = Path(harness.cache_root)
        self.ttl = timedelta(hours=harness.cache_ttl_hours)
        self.calls: dict[str, Call] = {}
        self.primed: dict[str, dict[str, bytes]] = {}
        self.expected_manifest: dict[str, Any] | None = None
        self.run_results: dict[str, Any] | None = None
        self._done = 0
        # Entries whose cached_at moved during a call, read right after it.
        self.refreshed: dict[str, list[str]] = {}

    @property
    def models(self) -> list[str] | None:
        """The nodes plain dbt-core's manifest of the project holds."""
        return self.run.expected("compile").manifest

    def call(self, key: str, label: str, function: Callable[[], Any]) -> Call:
        self.calls[key] = self.recorder.call(label, function)
        return self.calls[key]

    def manifest(self, key: str, label: str, plugin: DBTPlugin | None = None) -> Call:
        runtime = plugin or self.harness.plugin
        return self.call(key, label, lambda: runtime.get_manifest(self.harness.project_dir))

    def advance_to(self, key: str) -> None:
        """Play the sequence only as far as ``key``: a check costs only what precedes it."""
        stages = [
            self._prime,
            self._hits,
            self._expire,
            self._corrupt,
            self._disable,
            self._no_cache,
        ]
        while key not in self.calls and self._done < len(stages):
            if self._done and not self.primed:
                return  # nothing was cached: every later stage would be meaningless
            stages[self._done]()
            self._done += 1

    def _prime(self) -> None:
        self.calls["compile"] = self.run.call("compile")
        run = self.calls["run"] = self.run.call("run")
        if isinstance(run.value, DBTRunResult):
            self.expected_manifest = read_json(run.value.manifest_path)
            self.run_results = read_json(run.value.run_results_path)
        self.manifest("prime", "get_manifest() after a run")
        self.primed = {
            entry.name: {path.name: path.read_bytes() for path in entry.iterdir() if path.is_file()}
            for entry in entry_dirs(self.root)
        }

    def _hits(self) -> None:
        self.manifest("hit", "get_manifest() within the TTL")
        _age_entries(self.root, datetime.now(timezone.utc) - self.ttl / 2)
        self.manifest("half-ttl", "get_manifest() with the entries aged half the TTL")

    def _expire(self) -> None:
        _age_entries(self.root, datetime.now(timezone.utc) - self.ttl - timedelta(hours=1))
        call = self.manifest("expired", "get_manifest() with the entries aged past the TTL")
        self.refreshed["expired"] = _written_since(self.root, call.started)

    def _corrupt(self) -> None:
        _corrupt_entries(self.root, "manifest.json", "{ not json")
        self.manifest("corrupt", "get_manifest() with corrupt cached manifest.json files")
        _corrupt_entries(self.root, "metadata.json", "garbage")
        self.manifest("corrupt-metadata", "get_manifest() with corrupt metadata.json files")

    def _disable(self) -> None:
        h = self.harness
        with _environment("FLOE_DISABLE_CACHE", "true"):
            disabled = h.another()
            self.manifest("disabled-read", "get_manifest() with FLOE_DISABLE_CACHE=true", disabled)
            self.call(
                "disabled-run",
                "run_models() with FLOE_DISABLE_CACHE=true",
                lambda: disabled.run_models(h.project_dir, h.profiles_dir, h.target),
            )
            self.manifest("disabled-read-2", "get_manifest() after that run", disabled)

    def _no_cache(self) -> None:
        h = self.harness
        self.call(
            "refill",
            "run_models() with the cache enabled again",
            lambda: h.plugin.run_models(h.project_dir, h.profiles_dir, h.target),
        )
        _age_entries(self.root, datetime.now(timezone.utc) - self.ttl / 2)
        refreshing = h.another(no_cache=True)
        self.manifest(
            "no-cache", "get_manifest() on an instance built with no_cache=True", refreshing
        )
        call = self.call(
            "no-cache-compile",
            "compile_project() on an instance built with no_cache=True",
            lambda: refreshing.compile_project(h.project_dir, h.profiles_dir, h.target),
        )
        self.refreshed["no-cache-compile"] = _written_since(self.root, call.started)


@pytest.fixture(scope="module")
def cache_scenario(floe_dbt_scenarios: ScenarioRuns) -> Callable[[], CacheScenario]:
    """The module's cache sequence, built on first use (one per module and runtime)."""
    return functools.cache(
        lambda: CacheScenario(floe_dbt_scenarios(PRIME, cache=True, warehouse=False))
    )


@pytest.fixture
def cache(cache_scenario: Callable[[], CacheScenario]) -> CacheScenario:
    """The cache sequence: function-scoped, so the row's gate runs first (no cache, no build)."""
    return cache_scenario()


def _step(cache: CacheScenario, key: str) -> Call:
    cache.advance_to(key)
    if key not in cache.calls:
        pytest.fail(
            f"the cache sequence stopped before {key!r}: no entry was cached after "
            "compile_project(), run_models() and get_manifest()",
            pytrace=False,
        )
    return cache.calls[key]


def _remote(call: Call) -> int:
    assert call.remote_calls is not None, "the harness counts no remote calls"
    return call.remote_calls


def _valid_manifest(cache: CacheScenario, call: Call) -> None:
    manifest = call.returned()
    assert isinstance(manifest, dict), f"{call.label} returned {type(manifest).__name__}"
    assert "nodes" in manifest, f"{call.label} is not a dbt manifest"
    assert manifest_ids(manifest) == cache.models, (
        f"{call.label} does not hold the nodes plain dbt-core's manifest of the project holds"
    )


def _metadata(entry: Path) -> dict[str, Any]:
    return read_json(entry / "metadata.json")


def _written_since(root: Path, moment: datetime) -> list[str]:
    """Entries whose valid ``cached_at`` is not older than ``moment``."""
    fresh = []
    for entry in entry_dirs(root):
        try:
            cached_at = parse_cached_at(_metadata(entry).get("cached_at"))
        except (AssertionError, ValueError, OSError):
            continue
        if cached_at >= moment - _CLOCK_SLACK:
            fresh.append(entry.name)
    return fresh


@requirement("cache.layout")
def test_layout(cache: CacheScenario) -> None:
    run = _step(cache, "run")
    run.returned()
    _step(cache, "prime").returned()
    entries = cache.primed
    assert 1 <= len(entries) <= 2, (
        f"a compile and a run left {len(entries)} cache entries: {sorted(entries)}"
    )
    holding = [
        name
        for name, files in entries.items()
        if "run_results.json" in files
        and json.loads(files["run_results.json"]) == cache.run_results
    ]
    assert holding, "no cache entry holds the run's run_results.json"
    for name, files in entries.items():
        _check_entry(cache, name, files, _step(cache, "compile").started)


def _check_entry(cache: CacheScenario, name: str, files: dict[str, bytes], since: datetime) -> None:
    required = {"manifest.json", "metadata.json"}
    assert set(files) >= required, f"entry {name} lacks {sorted(required - set(files))}"
    unexpected = set(files) - ARTIFACTS - {"metadata.json"}
    assert not unexpected, f"entry {name} holds unexpected files {sorted(unexpected)}"
    metadata = json.loads(files["metadata.json"])
    missing = [field for field in METADATA_FIELDS if metadata.get(field) in (None, "")]
    assert not missing, f"metadata.json lacks {missing}: {metadata}"
    assert str(metadata["run_id"]) == name, (
        f"metadata run_id {metadata['run_id']!r} is not the entry's directory {name!r}"
    )
    cached_at = parse_cached_at(metadata["cached_at"])
    now = datetime.now(timezone.utc)
    assert since - _CLOCK_SLACK <= cached_at <= now + _CLOCK_SLACK, (
        f"cached_at {metadata['cached_at']} is not the time the entry was written"
    )
    assert isinstance(metadata["artifacts"], list), "metadata artifacts is not a list"
    assert set(metadata["artifacts"]) == set(files) - {"metadata.json"}, (
        f"metadata lists {metadata['artifacts']} but the entry holds {sorted(files)}"
    )
    manifest = json.loads(files["manifest.json"])
    assert manifest_ids(manifest) == cache.models, (
        f"the manifest cached in {name} does not hold the nodes of the project's manifest"
    )


@requirement("cache.hit")
def test_hit(cache: CacheScenario) -> None:
    for key in ("hit", "half-ttl"):
        call = _step(cache, key)
        _valid_manifest(cache, call)
        assert _remote(call) == 0, f"{call.label} made {call.remote_calls} remote call(s)"
        assert call.returned() == cache.expected_manifest


@requirement("cache.expiry")
def test_expiry(cache: CacheScenario) -> None:
    call = _step(cache, "expired")
    _valid_manifest(cache, call)
    assert _remote(call) > 0, f"{call.label} served the stale entry (no remote call)"
    assert cache.refreshed["expired"], f"after {call.label} no entry's cached_at moved to now"


@requirement("cache.corrupt")
def test_corrupt(cache: CacheScenario) -> None:
    for key in ("corrupt", "corrupt-metadata"):
        call = _step(cache, key)
        _valid_manifest(cache, call)
        assert _remote(call) > 0, f"{call.label} made no remote call"


@requirement("cache.disabled")
def test_disabled(cache: CacheScenario) -> None:
    for key in ("disabled-read", "disabled-read-2"):
        call = _step(cache, key)
        _valid_manifest(cache, call)
        assert _remote(call) > 0, f"{call.label} read the cache (no remote call)"
        assert call.cache_after == call.cache_before, f"{call.label} wrote to the cache"
    run = _step(cache, "disabled-run")
    run.returned()
    assert run.cache_after == run.cache_before, f"{run.label} wrote to the cache"


@requirement("cache.no-cache")
def test_no_cache(cache: CacheScenario) -> None:
    _step(cache, "refill").returned()
    call = _step(cache, "no-cache")
    _valid_manifest(cache, call)
    assert _remote(call) > 0, f"{call.label} read the cache (no remote call)"
    compiled = _step(cache, "no-cache-compile")
    compiled.returned()
    assert cache.refreshed["no-cache-compile"], (
        f"{compiled.label} did not refresh the cache (no entry's cached_at moved)"
    )


@requirement("cache.no-secret")
def test_no_secret(cache: CacheScenario, floe_dbt_profile: RuntimeProfile) -> None:
    _step(cache, "prime").returned()
    files = [path for path in cache.root.rglob("*") if path.is_file()]
    assert files, "the cache is empty"
    for path in files:
        data = path.read_bytes()
        leaked = [s for s in floe_dbt_profile.secrets if s and s.encode() in data]
        assert not leaked, f"{path.relative_to(cache.root)} holds a secret"


@requirement("cache.private")
def test_private(cache: CacheScenario) -> None:
    if sys.platform == "win32":  # pragma: no cover - POSIX permissions only
        not_applicable("file modes are POSIX-only")
    _step(cache, "prime").returned()
    loose = []
    for path in [cache.root, *cache.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            loose.append(f"{path.relative_to(cache.root) or '.'} is {oct(mode)}")
    assert not loose, "cache paths readable by others: " + "; ".join(loose)
