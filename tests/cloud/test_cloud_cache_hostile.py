"""The cache under hostile conditions (hardening, rows 8, 9 and 10, cloud parts).

Before the fix: a cache directory of another user made ``get_manifest()``
raise a bare ``PermissionError``; a shared cache directory (mode 1777) was
silently chmod'ed to 0700; and the token the emulator was started with,
which dbt writes into ``invocation_command``, was copied into ``target/`` and
the cache.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cache_workers import unusable_cache_scenario
from cloud_helpers import (
    API,
    TOKEN,
    FakeTime,
    PacedSleep,
    Served,
    UtcClock,
    manifest,
    run_payload,
    runs_page,
    step,
    unit_plugin,
)
from pytest_httpx import HTTPXMock
from unprivileged import drop_root_file_access

from floe_dbt_cloud.cache import READ_PROBLEM, WRITE_PROBLEM, ArtifactCache
from floe_dbt_cloud.cache_disk import STALE_STAGING_SECONDS
from floe_dbt_cloud.scrub import REDACTED, scrub_credentials

HOST = "cloud.getdbt.com"
NOBODY = 65534


def _store(cache: ArtifactCache, run_id: int = 77) -> object:
    return cache.store(
        run_id, account_id="1", job_id=3, artifacts={"manifest.json": manifest("model.p.a")}
    )


def _cached_manifest(cache: ArtifactCache) -> object:
    entry = cache.latest("manifest.json", account_id="1")
    return None if entry is None else cache.read(entry, "manifest.json")


# -- row 10: a shared cache directory is left as the user made it -------------


def test_a_shared_cache_directory_keeps_its_mode_and_gets_a_private_subdirectory(
    tmp_path: Path, clock: UtcClock
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "77").mkdir()  # someone else's "entry" in the shared directory: never read
    cache = ArtifactCache(shared, host=HOST, enabled=True, now=clock)
    assert _store(cache) is not None
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    private = shared / f"user-{os.getuid()}"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert sorted(p.name for p in private.iterdir()) == ["77"]
    assert stat.S_IMODE((private / "77").stat().st_mode) == 0o700
    assert _cached_manifest(ArtifactCache(shared, host=HOST, enabled=True, now=clock))


def test_a_private_cache_directory_is_used_as_is_and_not_chmoded(
    tmp_path: Path, clock: UtcClock
) -> None:
    root = tmp_path / "mine"
    root.mkdir(mode=0o755)
    root.chmod(0o755)  # readable by others, writable only by its owner: entries go here
    cache = ArtifactCache(root, host=HOST, enabled=True, now=clock)
    _store(cache)
    assert stat.S_IMODE(root.stat().st_mode) == 0o755
    assert sorted(p.name for p in root.iterdir()) == ["77"]
    assert stat.S_IMODE((root / "77").stat().st_mode) == 0o700


@pytest.mark.parametrize("squatted", ["others may write", "another owner"])
def test_a_private_subdirectory_someone_else_controls_is_refused_with_a_warning(
    tmp_path: Path, clock: UtcClock, caplog: pytest.LogCaptureFixture, squatted: str
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    private = shared / f"user-{os.getuid()}"
    private.mkdir()
    if squatted == "another owner":
        if os.geteuid() != 0:
            pytest.skip("only root can make a directory owned by another user")
        os.chown(private, NOBODY, NOBODY)
        private.chmod(0o700)
    else:
        private.chmod(0o777)
    cache = ArtifactCache(shared, host=HOST, enabled=True, now=clock)
    with caplog.at_level(logging.WARNING, logger="floe_dbt_cloud"):
        assert _store(cache) is None
        assert _store(cache) is None  # warned once per problem, not at every call
        assert _cached_manifest(cache) is None
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    detail = f"(not a private directory of this user (mode 0700, owned by it): {private})"
    assert messages[0] == WRITE_PROBLEM.format(root=shared, reason=detail[1:-1])
    assert messages[1] == READ_PROBLEM.format(root=shared, reason=detail[1:-1])
    assert list(private.iterdir()) == []


# -- row 8: a cache directory that cannot be used never costs a result --------


def test_a_cache_under_a_file_warns_and_the_run_and_manifest_stand(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    plugin = unit_plugin(tmp_path, fake_time, cache_dir=blocker / "cache")
    httpx_mock.add_response(
        url=f"{API}/runs/?job_definition_id=11&order_by=-id&status=10&limit=1",
        json=runs_page(run_payload(5, 10, job_id=11)),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/5/?include_related=run_steps",
        json=run_payload(5, 10, job_id=11, steps=[step(1, "Invoke dbt with `dbt compile`")]),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/5/artifacts/manifest.json?step=1", content=manifest("model.p.a")
    )
    project = tmp_path / "proj"
    with caplog.at_level(logging.WARNING, logger="floe_dbt_cloud"):
        assert set(plugin.get_manifest(project)["nodes"]) == {"model.p.a"}
    assert (project / "target" / "manifest.json").is_file()
    root = blocker / "cache"
    assert [record.getMessage() for record in caplog.records] == [
        READ_PROBLEM.format(root=root, reason=f"Not a directory: {root}"),
        WRITE_PROBLEM.format(root=root, reason=f"Not a directory: {root}"),
    ]


def test_a_cache_directory_of_another_user_warns_and_loses_nothing(tmp_path: Path) -> None:
    """The system's own ``PermissionError``: the cache directory is closed to this user."""
    cache_dir, project = tmp_path / "cache", tmp_path / "project"
    cache_dir.mkdir(mode=0o700)
    project.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        if not sys.platform.startswith("linux"):
            pytest.skip("root obeys file permissions only without its capabilities (Linux)")
        os.chown(cache_dir, NOBODY, NOBODY)  # another user's, mode 0700
    else:
        cache_dir.chmod(0)  # this user's, but closed even to it
    outcome: dict[str, object] = {}

    def scenario() -> None:
        try:
            if as_root:
                drop_root_file_access()
            outcome.update(unusable_cache_scenario(str(cache_dir), str(project)))
        except BaseException as exc:  # reported by the assertion below
            outcome["error"] = repr(exc)

    worker = threading.Thread(target=scenario)
    worker.start()
    worker.join(60)
    assert "error" not in outcome, outcome["error"]
    assert outcome["manifest_nodes"] == ["model.p.customers"]
    assert outcome["run"] == [True, 1, True]  # the run's result and target/ files stand
    # Another user's directory is not used directly: its private subdirectory was tried.
    closed = cache_dir / f"user-{os.getuid()}" if as_root else cache_dir
    reason = f"Permission denied: {closed}"
    assert outcome["warnings"] == [
        READ_PROBLEM.format(root=cache_dir, reason=reason),
        WRITE_PROBLEM.format(root=cache_dir, reason=reason),
    ]


# -- row 9: no credential is stored -------------------------------------------

LEAKS = {
    "the configured token": TOKEN,
    "a user token": "dbtu_Zx9Qw8Er7Ty6Ui5Op4As3Df2",
    "a personal access token": "dbtp_Mn1Bv2Cx3Zl4Kj5Hg6Fd7Sa8",
    "a bearer value": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
}


def _leaky_run_results() -> bytes:
    command = (
        f"dbt run --token {TOKEN} --profile x --header 'Authorization: Bearer "
        f"{LEAKS['a bearer value']}' --pat {LEAKS['a personal access token']}"
    )
    return json.dumps(
        {
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"
            },
            "results": [{"unique_id": "model.p.customers", "status": "success"}],
            "args": {"invocation_command": command, "vars": {"api": LEAKS["a user token"]}},
        }
    ).encode()


def test_credentials_in_artifacts_never_reach_target_or_the_cache(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    steps = [step(1, "Invoke dbt with `dbt run`")]
    httpx_mock.add_response(method="POST", url=f"{API}/jobs/12/run/", json=run_payload(9, 1))
    httpx_mock.add_response(
        url=f"{API}/runs/9/?include_related=run_steps", json=run_payload(9, 10, steps=steps)
    )
    httpx_mock.add_response(
        url=f"{API}/runs/9/artifacts/run_results.json?step=1", content=_leaky_run_results()
    )
    leaky_manifest = manifest("model.p.customers", meta={"note": f"Token {TOKEN}"})
    httpx_mock.add_response(
        url=f"{API}/runs/9/artifacts/manifest.json?step=1", content=leaky_manifest
    )
    project = tmp_path / "proj"
    result = unit_plugin(tmp_path, fake_time).run_models(project, project, "prod")
    assert (result.success, result.models_run) == (True, 1)
    stored = [*(project / "target").iterdir(), *(tmp_path / "cache" / "9").iterdir()]
    assert len(stored) == 5  # run_results + manifest in target/, and both + metadata cached
    for path in stored:
        text = path.read_text()
        json.loads(text)  # still valid JSON
        for what, secret in LEAKS.items():
            assert secret not in text, f"{what} is in {path}"
    command = json.loads((project / "target" / "run_results.json").read_text())["args"]
    assert command["invocation_command"] == (
        f"dbt run --token {REDACTED} --profile x --header 'Authorization: Bearer {REDACTED}' "
        f"--pat {REDACTED}"
    )
    assert command["vars"] == {"api": REDACTED}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "dbtc_orders"}',  # a model named like a token prefix, but short
        '{"sql": "select token, bearer from t"}',
        '{"doc": "Token authentication is described elsewhere"}',
        '{"n": "model.p.dbtc_x"}',
    ],
)
def test_ordinary_text_is_left_byte_for_byte(text: str) -> None:
    assert scrub_credentials(text.encode(), ("short",)) == text.encode()


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_emulator_token_dbt_writes_into_invocation_command_is_stored_nowhere(
    serve: Callable[..., Served], paced_sleep: PacedSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = serve()
    token = served.emulator.token
    # As `python -m floe_dbt_cloud_emulator --token ...` starts it: dbt copies argv into
    # run_results.json's invocation_command.
    monkeypatch.setattr(sys, "argv", ["floe_dbt_cloud_emulator", "--token", token])
    copy = served.copy
    plugin = served.plugin(sleep=paced_sleep)
    result = plugin.run_models(
        copy.project_dir, copy.profiles_dir, copy.target, select="raw_customers"
    )
    assert (result.success, result.models_run) == (True, 1)
    [run] = served.emulator.runs.values()
    kept_by_emulator = [path for s in run.steps for path in s.artifacts.values()]
    stored = [
        *kept_by_emulator,
        result.run_results_path,
        result.manifest_path,
        *(p for p in served.cache_dir.rglob("*") if p.is_file()),
    ]
    assert len(kept_by_emulator) == 2
    for path in stored:
        assert token not in path.read_text(), path
    invocation = json.loads(result.run_results_path.read_text())["args"]["invocation_command"]
    assert f"--token {REDACTED}" in invocation


# -- round 2: a cache entry holding something that is not a file never blocks ----


@pytest.mark.timeout(30)
@pytest.mark.parametrize("swapped", ["metadata.json", "manifest.json"])
@pytest.mark.parametrize("when", ["before latest()", "after latest() chose the entry"])
def test_a_fifo_in_a_cache_entry_is_a_miss_not_a_hang(
    tmp_path: Path, clock: UtcClock, swapped: str, when: str
) -> None:
    cache = ArtifactCache(tmp_path / "cache", host=HOST, enabled=True, now=clock)
    entry = _store(cache)
    assert entry is not None
    path = tmp_path / "cache" / "77" / swapped

    def swap() -> None:
        path.unlink()
        os.mkfifo(path)  # no writer: a blocking open() would wait forever

    if when == "before latest()":
        swap()
        assert cache.latest("manifest.json", account_id="1") is None
    else:
        chosen = cache.latest("manifest.json", account_id="1")
        assert chosen is not None
        swap()
        assert cache.read(chosen, "manifest.json") is None


@pytest.mark.timeout(30)
def test_get_manifest_with_a_fifo_as_cached_metadata_asks_dbt_cloud(
    tmp_path: Path, fake_time: FakeTime, httpx_mock: HTTPXMock
) -> None:
    plugin = unit_plugin(tmp_path, fake_time)
    stored = plugin.cache.store(
        4, account_id="4242", job_id=11, artifacts={"manifest.json": manifest("model.p.old")}
    )
    assert stored is not None
    metadata = stored.path / "metadata.json"
    metadata.unlink()
    os.mkfifo(metadata)
    httpx_mock.add_response(
        url=f"{API}/runs/?job_definition_id=11&order_by=-id&status=10&limit=1",
        json=runs_page(run_payload(5, 10, job_id=11)),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/5/?include_related=run_steps",
        json=run_payload(5, 10, job_id=11, steps=[step(1, "Invoke dbt with `dbt compile`")]),
    )
    httpx_mock.add_response(
        url=f"{API}/runs/5/artifacts/manifest.json?step=1", content=manifest("model.p.new")
    )
    assert set(plugin.get_manifest(tmp_path / "proj")["nodes"]) == {"model.p.new"}


def test_staging_directories_of_interrupted_writers_are_removed_on_the_next_write(
    tmp_path: Path, clock: UtcClock
) -> None:
    """Round 2: a writer killed between its mkdtemp and its rename left its directory forever."""
    root = tmp_path / "cache"
    cache = ArtifactCache(root, host=HOST, enabled=True, now=clock)
    assert _store(cache, 1) is not None
    old = time.time() - STALE_STAGING_SECONDS - 60
    left = {
        ".77.k3j2h1": old,  # staging of an interrupted writer
        ".78.old.x9y8": old,  # an entry moved aside by an interrupted writer
        ".79.fresh1": time.time(),  # a writer at work right now
        ".hidden-other": old,  # not ours by its name
    }
    for name, mtime in left.items():
        (root / name).mkdir()
        (root / name / "manifest.json").write_text("{}")
        os.utime(root / name, (mtime, mtime))
    os.utime(root / "1", (old, old))  # an old entry is an entry, not a staging directory
    assert _store(cache, 2) is not None
    assert sorted(p.name for p in root.iterdir()) == [".79.fresh1", ".hidden-other", "1", "2"]


def test_a_cached_manifest_nested_past_pythons_reader_is_a_miss(
    tmp_path: Path, clock: UtcClock
) -> None:
    """Entries are depth-checked before they are written; one changed afterwards is a miss."""
    cache = ArtifactCache(tmp_path / "cache", host=HOST, enabled=True, now=clock)
    entry = _store(cache)
    assert entry is not None
    deep = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "cache" / "77" / "manifest.json").write_bytes(deep)
    chosen = cache.latest("manifest.json", account_id="1")
    assert chosen is not None
    assert cache.read(chosen, "manifest.json") is None
