"""The REQ-092 artifact cache: layout, metadata, TTL, disabling, safety on disk."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cloud_helpers import T0, UtcClock, manifest, run_results

from floe_core.errors import DBTConfigurationError
from floe_dbt_cloud.cache import ArtifactCache, cache_disabled_by_env

HOST = "cloud.getdbt.com"
MANIFEST = manifest("model.p.a")
RUN_RESULTS = run_results()


@pytest.fixture
def cache(tmp_path: Path, clock: UtcClock) -> ArtifactCache:
    return ArtifactCache(
        tmp_path / ".floe" / "dbt-cloud-cache", host=HOST, ttl_hours=24, enabled=True, now=clock
    )


def _store(cache: ArtifactCache, run_id: int = 77, account: str = "1", job: int = 3) -> None:
    cache.store(
        run_id,
        account_id=account,
        job_id=job,
        artifacts={"manifest.json": MANIFEST, "run_results.json": RUN_RESULTS},
    )


def test_layout_and_metadata_are_exactly_req_092(cache: ArtifactCache) -> None:
    _store(cache)
    entry_dir = cache.root / "77"
    assert sorted(p.name for p in entry_dir.iterdir()) == [
        "manifest.json",
        "metadata.json",
        "run_results.json",
    ]
    metadata = json.loads((entry_dir / "metadata.json").read_text())
    assert metadata == {
        "cached_at": "2026-03-01T10:00:00Z",
        "run_id": "77",
        "account_id": "1",
        "job_id": "3",
        "artifacts": ["manifest.json", "run_results.json"],
        "host": HOST,
    }
    assert (entry_dir / "manifest.json").read_bytes() == MANIFEST


def test_hit_within_ttl_and_miss_after(cache: ArtifactCache, clock: UtcClock) -> None:
    _store(cache)
    clock.now = T0 + timedelta(hours=23, minutes=59)
    entry = cache.latest("manifest.json", account_id="1")
    assert entry is not None
    assert cache.read(entry, "manifest.json") == json.loads(MANIFEST)
    clock.now = T0 + timedelta(hours=24)
    assert cache.latest("manifest.json", account_id="1") is None


def test_ttl_is_configurable(tmp_path: Path, clock: UtcClock) -> None:
    short = ArtifactCache(tmp_path / "c", host=HOST, ttl_hours=0.5, enabled=True, now=clock)
    _store(short)
    clock.now = T0 + timedelta(minutes=31)
    assert short.latest("manifest.json", account_id="1") is None


def test_the_newest_entry_wins_and_filters_apply(cache: ArtifactCache, clock: UtcClock) -> None:
    _store(cache, run_id=5, job=3)
    clock.now = T0 + timedelta(minutes=5)
    _store(cache, run_id=4, job=9)
    clock.now = T0 + timedelta(minutes=6)
    _store(cache, run_id=6, account="2")
    assert cache.latest("manifest.json", account_id="1").metadata.run_id == "4"
    assert cache.latest("manifest.json", account_id="1", job_ids=[3]).metadata.run_id == "5"
    assert cache.latest("manifest.json", account_id="2").metadata.run_id == "6"
    assert cache.latest("catalog.json", account_id="1") is None


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_floe_disable_cache_disables_reads_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    enabled = ArtifactCache(tmp_path / "c", host=HOST)
    _store(enabled)
    monkeypatch.setenv("FLOE_DISABLE_CACHE", value)
    assert cache_disabled_by_env()
    disabled = ArtifactCache(tmp_path / "c", host=HOST)
    assert disabled.latest("manifest.json", account_id="1") is None
    assert disabled.store(99, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"}) is None
    assert not (tmp_path / "c" / "99").exists()


def test_permissions_are_private(cache: ArtifactCache) -> None:
    _store(cache)
    assert stat.S_IMODE(cache.root.stat().st_mode) == 0o700
    entry_dir = cache.root / "77"
    assert stat.S_IMODE(entry_dir.stat().st_mode) == 0o700
    for file in entry_dir.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_rewriting_an_entry_replaces_it_whole_and_leaves_no_temporaries(
    cache: ArtifactCache, clock: UtcClock
) -> None:
    _store(cache)
    clock.now = T0 + timedelta(hours=1)
    cache.store(77, account_id="1", job_id=3, artifacts={"manifest.json": manifest("model.p.v2")})
    entry = cache.latest("manifest.json", account_id="1")
    assert entry.metadata.cached_at == clock.now
    assert set(cache.read(entry, "manifest.json")["nodes"]) == {"model.p.v2"}
    assert not (cache.root / "77" / "run_results.json").exists()
    assert [p.name for p in cache.root.iterdir()] == ["77"]


@pytest.mark.parametrize("run_id", ["../../x", "..", "12/34", "-1", "1e5", "", "0x10", True])
def test_run_ids_that_are_not_numbers_never_become_paths(
    cache: ArtifactCache, run_id: object
) -> None:
    with pytest.raises(DBTConfigurationError, match="refusing run id"):
        cache.store(run_id, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"})  # type: ignore[arg-type]
    assert not cache.root.exists() or list(cache.root.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["../manifest.json", "/etc/passwd.json", ".hidden.json", "a/b.json", "x.txt", "metadata.json"],
)
def test_artifact_names_are_validated(cache: ArtifactCache, name: str) -> None:
    with pytest.raises(DBTConfigurationError, match="refusing artifact name"):
        cache.store(1, account_id="1", job_id=1, artifacts={name: b"{}"})


def _corrupt(cache: ArtifactCache, how: str) -> None:
    entry_dir = cache.root / "77"
    if how == "metadata not json":
        (entry_dir / "metadata.json").write_text("{not json")
    elif how == "metadata missing":
        (entry_dir / "metadata.json").unlink()
    elif how == "metadata wrong shape":
        (entry_dir / "metadata.json").write_text('{"run_id": 77}')
    elif how == "partial entry":
        (entry_dir / "manifest.json").unlink()
    elif how == "run id mismatch":
        entry_dir.rename(cache.root / "78")
    elif how == "group writable":
        entry_dir.chmod(0o770)
    elif how == "future timestamp":
        metadata = json.loads((entry_dir / "metadata.json").read_text())
        metadata["cached_at"] = "2099-01-01T00:00:00Z"
        (entry_dir / "metadata.json").write_text(json.dumps(metadata))
    elif how == "naive timestamp":
        metadata = json.loads((entry_dir / "metadata.json").read_text())
        metadata["cached_at"] = "2026-03-01T10:00:00"
        (entry_dir / "metadata.json").write_text(json.dumps(metadata))
    elif how == "traversal in artifacts":
        metadata = json.loads((entry_dir / "metadata.json").read_text())
        metadata["artifacts"] = ["../../../etc/passwd"]
        (entry_dir / "metadata.json").write_text(json.dumps(metadata))


@pytest.mark.parametrize(
    "how",
    [
        "metadata not json",
        "metadata missing",
        "metadata wrong shape",
        "partial entry",
        "run id mismatch",
        "group writable",
        "future timestamp",
        "naive timestamp",
        "traversal in artifacts",
    ],
)
def test_corrupt_partial_or_foreign_entries_are_misses(cache: ArtifactCache, how: str) -> None:
    _store(cache)
    _corrupt(cache, how)
    assert cache.latest("manifest.json", account_id="1") is None


def test_a_corrupt_artifact_reads_as_none(cache: ArtifactCache) -> None:
    _store(cache)
    (cache.root / "77" / "manifest.json").write_text('{"trunc')
    entry = cache.latest("manifest.json", account_id="1")
    assert entry is not None
    assert cache.read(entry, "manifest.json") is None


def test_symlinked_entries_and_stray_files_are_ignored(
    cache: ArtifactCache, tmp_path: Path
) -> None:
    _store(cache)
    os.symlink(cache.root / "77", cache.root / "88")
    (cache.root / "99").write_text("not a directory")
    (cache.root / "notes.txt").write_text("x")
    assert cache.latest("manifest.json", account_id="1").metadata.run_id == "77"


def test_an_unwritable_cache_costs_only_the_cache(tmp_path: Path, clock: UtcClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ArtifactCache(blocker / "cache", host=HOST, enabled=True, now=clock)
    assert cache.store(1, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"}) is None


def test_ttl_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(DBTConfigurationError, match="cache_ttl_hours"):
        ArtifactCache(tmp_path, host=HOST, ttl_hours=0)


def test_the_environment_variable_is_read_at_each_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ArtifactCache(tmp_path / "c", host=HOST)
    monkeypatch.setenv("FLOE_DISABLE_CACHE", "true")
    assert cache.store(1, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"}) is None
    monkeypatch.setenv("FLOE_DISABLE_CACHE", "false")
    assert cache.store(1, account_id="1", job_id=1, artifacts={"manifest.json": b"{}"}) is not None
    assert cache.latest("manifest.json", account_id="1") is not None
