"""Unit tests of the local runtime's parts that need no dbt invocation."""

from __future__ import annotations

import json
import logging
import math
import threading
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import pytest
from dbt.cli.exceptions import DbtUsageException
from dbt.exceptions import DbtProfileError, DbtProjectError, ParsingError, YamlParseDictError
from dbt_common.exceptions import (
    CompilationError,
    DbtDatabaseError,
    DbtInternalError,
    DbtRuntimeError,
    DbtValidationError,
    UndefinedMacroError,
)

from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTCompilationError,
    DBTConfigurationError,
    DBTExecutionError,
    DBTExecutionTimeout,
)
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dbt_cloud.config import CloudRuntimeConfig
from floe_dbt_local import EVENT_LOGGER_NAME, InvocationLock, LocalDBTPlugin
from floe_dbt_local.config import LocalRuntimeConfig
from floe_dbt_local.dbt_errors import wrap_dbt_exception
from floe_dbt_local.events import DbtEventRouter
from floe_dbt_local.layout import ProjectLayout
from floe_dbt_local.reuse import ManifestCache, project_fingerprint

# -- the lock -----------------------------------------------------------------


def test_lock_records_its_holder_and_clears_it() -> None:
    lock = InvocationLock()
    assert lock.holder is None
    with lock.hold("test", Path("/p"), timeout_seconds=1):
        holder = lock.holder
        assert holder is not None
        assert (holder.command, holder.project_dir) == ("test", Path("/p"))
        assert holder.thread_name == threading.current_thread().name
    assert lock.holder is None


def test_lock_is_released_when_the_block_raises() -> None:
    lock = InvocationLock()
    with pytest.raises(RuntimeError), lock.hold("run", Path("/p"), timeout_seconds=1):
        raise RuntimeError("dbt blew up")
    with lock.hold("run", Path("/p"), timeout_seconds=0.01):
        assert lock.holder is not None


def test_waiter_times_out_with_the_holder_named() -> None:
    lock = InvocationLock()
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.hold("compile", Path("/held/project"), timeout_seconds=1):
            acquired.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold, name="holder-thread")
    holder.start()
    try:
        assert acquired.wait(timeout=30)
        with (
            pytest.raises(DBTExecutionTimeout) as raised,
            lock.hold("run", Path("/waiting/project"), timeout_seconds=0.01),
        ):
            pytest.fail("the lock was not exclusive")
    finally:
        release.set()
        holder.join(timeout=30)
    message = str(raised.value)
    assert "`dbt compile` on /held/project" in message
    assert "'holder-thread'" in message
    assert "/waiting/project" in message
    assert "lock_timeout_seconds" in message


def test_nested_invocation_in_the_same_thread_fails_at_once() -> None:
    lock = InvocationLock()
    with (
        lock.hold("run", Path("/outer"), timeout_seconds=1),
        pytest.raises(DBTExecutionError, match="cannot be nested") as raised,
        lock.hold("test", Path("/inner"), timeout_seconds=3600),
    ):
        pytest.fail("re-entered a non-reentrant lock")
    assert not isinstance(raised.value, DBTExecutionTimeout)


def test_every_instance_and_subclass_shares_one_lock() -> None:
    class Sub(LocalDBTPlugin):
        pass

    assert LocalDBTPlugin().invocation_lock is Sub().invocation_lock
    assert LocalDBTPlugin.invocation_lock is LocalDBTPlugin(5).invocation_lock


# -- construction and configuration --------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "60", None, True, 1e12])
def test_constructor_refuses_a_bad_timeout(bad: object) -> None:
    with pytest.raises(DBTConfigurationError, match=r"^lock_timeout_seconds must be"):
        LocalDBTPlugin(bad)  # type: ignore[arg-type]


def test_from_config_passes_the_timeout() -> None:
    assert LocalDBTPlugin.from_config(None, None).lock_timeout_seconds == 3600
    configured = LocalDBTPlugin.from_config(
        LocalRuntimeConfig(lock_timeout_seconds=12.5), None, no_cache=True
    )
    assert configured.lock_timeout_seconds == 12.5
    assert repr(configured) == "LocalDBTPlugin(lock_timeout_seconds=12.5, reuse_manifest=True)"


def test_from_config_refuses_another_runtimes_section() -> None:
    cloud = CloudRuntimeConfig(
        account_id="1", api_token_ref="dbt-token", job_ids={"compile": 1, "run": 2, "test": 3}
    )
    with pytest.raises(DBTConfigurationError, match=r"dbt_runtime_config\.local"):
        LocalDBTPlugin.from_config(cloud, None)


def test_registry_builds_the_local_runtime_from_a_manifest() -> None:
    manifest = PlatformManifest.model_validate(
        {
            "plugins": {
                "dbt_runtime": "local",
                "dbt_runtime_config": {"local": {"lock_timeout_seconds": 42}},
            }
        }
    )
    runtime = PluginRegistry().create_dbt_runtime(manifest)
    assert isinstance(runtime, LocalDBTPlugin)
    assert runtime.lock_timeout_seconds == 42
    assert runtime.supports_parallel_execution() is False


def test_metadata_before_any_invocation_is_json_and_names_versions() -> None:
    metadata = LocalDBTPlugin(lock_timeout_seconds=9).get_runtime_metadata()
    assert json.loads(json.dumps(metadata)) == metadata
    assert metadata["type"] == "local"
    assert metadata["dbt_version"] == version("dbt-core")
    assert metadata["python_version"].count(".") == 2
    assert (metadata["lock_timeout_seconds"], metadata["parallel_execution"]) == (9.0, False)


# -- error translation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "command", "expected"),
    [
        (CompilationError("bad jinja"), "run", DBTCompilationError),
        (UndefinedMacroError("no macro"), "run", DBTCompilationError),
        (ParsingError("bad yaml"), "test", DBTCompilationError),
        (YamlParseDictError(Path("m.yml"), "models", {}, "oops"), "run", DBTCompilationError),
        (DbtValidationError("invalid schema"), "compile", DBTCompilationError),
        (DbtRuntimeError("node failed to compile"), "compile", DBTCompilationError),
        (DbtRuntimeError("something at run time"), "run", DBTExecutionError),
        (DbtDatabaseError("connection refused"), "compile", DBTExecutionError),
        (DbtProjectError("no dbt_project.yml"), "run", DBTExecutionError),
        (DbtProfileError("no such target"), "run", DBTExecutionError),
        (DbtUsageException("no such option"), "run", DBTExecutionError),
        (DbtInternalError("bug"), "test", DBTExecutionError),
        (KeyboardInterrupt(), "run", DBTExecutionError),
    ],
)
def test_dbt_exceptions_are_classified(
    exc: BaseException, command: str, expected: type[Exception]
) -> None:
    error = wrap_dbt_exception(exc, command=command, project_dir=Path("/the/project"))
    assert type(error) is expected
    message = str(error)
    assert "/the/project" in message
    assert type(exc).__name__ in message
    assert f"dbt {command}" in message


def test_dbt_message_is_kept_in_full() -> None:
    error = wrap_dbt_exception(
        ParsingError("line 3: mapping values are not allowed here"),
        command="run",
        project_dir=Path("/p"),
    )
    assert "line 3: mapping values are not allowed here" in str(error)


# -- project layout -----------------------------------------------------------------


def test_layout_defaults(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    layout = ProjectLayout.read(tmp_path)
    assert layout.manifest_path == tmp_path.resolve() / "target" / "manifest.json"
    assert layout.run_results_path == tmp_path.resolve() / "target" / "run_results.json"
    assert layout.log_path == tmp_path.resolve() / "logs"
    assert tmp_path.resolve() / "models" in layout.source_dirs
    assert tmp_path.resolve() / "dbt_packages" in layout.source_dirs


def test_layout_reads_paths_from_the_project_file(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text(
        "name: p\ntarget-path: out/dbt\nlog-path: out/logs\n"
        "model-paths: [transform]\nfuture-thing-paths: [extra]\npackages-install-path: vendor\n"
    )
    layout = ProjectLayout.read(tmp_path)
    root = tmp_path.resolve()
    assert layout.target_path == root / "out" / "dbt"
    assert layout.log_path == root / "out" / "logs"
    assert {root / "transform", root / "extra", root / "vendor"} <= set(layout.source_dirs)


def test_environment_overrides_the_target_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\ntarget-path: from_file\n")
    monkeypatch.setenv("DBT_TARGET_PATH", "from_env")
    assert ProjectLayout.read(tmp_path).target_path == tmp_path.resolve() / "from_env"


@pytest.mark.parametrize("content", [None, ":\n  - [unbalanced", "just a string"])
def test_layout_of_a_missing_or_broken_project_file_is_the_default(
    tmp_path: Path, content: str | None
) -> None:
    if content is not None:
        (tmp_path / "dbt_project.yml").write_text(content)
    assert ProjectLayout.read(tmp_path).target_path == tmp_path.resolve() / "target"


def test_missing_artifacts_raise_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\ntarget-path: build\n")
    runtime = LocalDBTPlugin()
    with pytest.raises(DBTArtifactNotFoundError, match="compile_project") as raised:
        runtime.get_manifest(tmp_path)
    assert str(tmp_path.resolve() / "build" / "manifest.json") in str(raised.value)
    with pytest.raises(DBTArtifactNotFoundError, match="run_models or run_tests"):
        runtime.get_run_results(tmp_path)


def test_artifacts_are_read_from_the_configured_target_path(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\ntarget-path: build\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "manifest.json").write_text('{"nodes": {"model.p.a": {}}}')
    (tmp_path / "build" / "run_results.json").write_text('{"results": []}')
    runtime = LocalDBTPlugin()
    assert runtime.get_manifest(tmp_path) == {"nodes": {"model.p.a": {}}}
    assert runtime.get_run_results(tmp_path) == {"results": []}


# -- the reuse fingerprint ----------------------------------------------------------------


@pytest.fixture
def dbt_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "macros").mkdir()
    (project / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    (project / "profiles.yml").write_text("p: {target: dev, outputs: {dev: {type: duckdb}}}\n")
    (project / "models" / "a.sql").write_text("select 1 as x")
    (project / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}")
    return project


def _fingerprint(project: Path, target: str = "dev", dbt_version: str = "1.11.0") -> str:
    return project_fingerprint(ProjectLayout.read(project), project, target, dbt_version)


def test_fingerprint_is_stable_while_nothing_changes(dbt_project: Path) -> None:
    assert _fingerprint(dbt_project) == _fingerprint(dbt_project)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CHANGES = {
    "model": lambda p: _write(p / "models" / "a.sql", "select 2 as x"),
    "macro": lambda p: _write(p / "macros" / "m.sql", "{% macro m() %}2{% endmacro %}"),
    "new-model": lambda p: _write(p / "models" / "b.sql", "select 1"),
    "deleted-model": lambda p: (p / "models" / "a.sql").unlink(),
    "nested-yaml": lambda p: _write(p / "models" / "nested" / "c.yml", "x"),
    "project-file": lambda p: _write(p / "dbt_project.yml", "name: p\nprofile: p\nvars: {x: 1}\n"),
    "profile": lambda p: _write(p / "profiles.yml", "p: {target: dev, outputs: {dev: {type: x}}}"),
    "packages": lambda p: _write(p / "packages.yml", "packages: []\n"),
    "installed-package": lambda p: _write(p / "dbt_packages" / "pkg" / "x.sql", "1"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_fingerprint_changes_with_anything_parsing_reads(dbt_project: Path, change: str) -> None:
    before = _fingerprint(dbt_project)
    CHANGES[change](dbt_project)
    assert _fingerprint(dbt_project) != before


def test_fingerprint_changes_with_target_version_environment_and_cwd(
    dbt_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = _fingerprint(dbt_project)
    assert _fingerprint(dbt_project, target="prod") != before
    assert _fingerprint(dbt_project, dbt_version="1.11.1") != before
    monkeypatch.setenv("FLOE_SOME_SETTING", "1")
    assert _fingerprint(dbt_project) != before
    monkeypatch.delenv("FLOE_SOME_SETTING")
    assert _fingerprint(dbt_project) == before
    monkeypatch.chdir(tmp_path)
    assert _fingerprint(dbt_project) != before


def test_fingerprint_ignores_what_dbt_writes(dbt_project: Path) -> None:
    before = _fingerprint(dbt_project)
    (dbt_project / "target").mkdir()
    (dbt_project / "target" / "manifest.json").write_text("{}")
    (dbt_project / "logs").mkdir()
    (dbt_project / "logs" / "dbt.log").write_text("line")
    (dbt_project / "p.duckdb").write_bytes(b"\0" * 16)
    assert _fingerprint(dbt_project) == before


def test_fingerprint_ignores_the_target_path_inside_a_source_directory(dbt_project: Path) -> None:
    (dbt_project / "dbt_project.yml").write_text("name: p\nmodel-paths: ['.']\n")
    before = _fingerprint(dbt_project)
    (dbt_project / "target").mkdir()
    (dbt_project / "target" / "run_results.json").write_text("{}")
    assert _fingerprint(dbt_project) == before


def test_manifest_cache_hits_only_on_the_same_fingerprint() -> None:
    cache = ManifestCache(max_entries=2)
    key = (Path("/p"), Path("/p"), "dev")
    manifest = object()
    assert cache.get(key, "f1") is None
    cache.put(key, "f1", manifest)
    assert cache.get(key, "f1") is manifest
    assert cache.get(key, "f2") is None
    # A stale entry is dropped at once, not kept for later.
    assert len(cache) == 0
    cache.put(key, "f1", manifest)
    cache.discard(key)
    assert cache.get(key, "f1") is None


def test_manifest_cache_keeps_the_most_recent_entries() -> None:
    cache = ManifestCache(max_entries=2)
    keys = [(Path(f"/p{i}"), Path("/p"), "dev") for i in range(3)]
    for key in keys:
        cache.put(key, "f", key)
    assert len(cache) == 2
    assert cache.get(keys[0], "f") is None
    assert cache.get(keys[2], "f") == keys[2]
    with pytest.raises(ValueError, match="max_entries"):
        ManifestCache(max_entries=0)


# -- event routing ----------------------------------------------------------------------


def _event(name: str, level: str, msg: str, unique_id: str = "", **data: str) -> SimpleNamespace:
    return SimpleNamespace(
        info=SimpleNamespace(name=name, level=level, msg=msg, invocation_id="inv-1"),
        data=SimpleNamespace(node_info=SimpleNamespace(unique_id=unique_id), **data),
    )


def test_events_become_structured_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=EVENT_LOGGER_NAME)
    router = DbtEventRouter()
    router(_event("LogModelResult", "info", "1 of 1 OK", "model.p.a"))
    router(_event("RunResultError", "error", "boom"))
    router(_event("DeprecatedModel", "warn", "old"))
    router(_event("SQLQuery", "debug", "select 1"))
    router(_event("Unknown", "test", "odd level"))
    # What the runtime raises is not logged as an error too (dbt's traceback, above all).
    router(_event("MainEncounteredError", "error", "Encountered an error"))
    router(_event("MainStackTrace", "error", "Traceback (most recent call last): ..."))
    info, error, *_ = caplog.records
    assert [r.levelno for r in caplog.records] == [
        logging.INFO,
        logging.ERROR,
        logging.WARNING,
        logging.DEBUG,
        logging.INFO,
        logging.DEBUG,
        logging.DEBUG,
    ]
    assert caplog.records[-1].dbt_level == "error"  # type: ignore[attr-defined]
    assert info.getMessage() == "1 of 1 OK"
    assert (info.dbt_event_name, info.dbt_level, info.dbt_unique_id) == (  # type: ignore[attr-defined]
        "LogModelResult",
        "info",
        "model.p.a",
    )
    assert info.dbt_message == "1 of 1 OK"  # type: ignore[attr-defined]
    assert info.dbt_invocation_id == "inv-1"  # type: ignore[attr-defined]
    assert error.dbt_unique_id is None  # type: ignore[attr-defined]
    assert router.invocation_id == "inv-1"


def test_router_keeps_node_status_and_timing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=EVENT_LOGGER_NAME)
    router = DbtEventRouter()
    result = _event("LogModelResult", "error", "1 of 1 ERROR", "model.p.a", execution_time=0.25)
    result.data.node_info.node_status = "error"
    result.data.node_info.node_started_at = "2024-01-01T00:00:00"
    result.data.node_info.node_finished_at = "2024-01-01T00:00:01"
    router(result)
    router(_event("FoundStats", "info", "Found 1 model"))
    node, other = caplog.records
    assert (node.dbt_node_status, node.dbt_execution_time) == ("error", 0.25)  # type: ignore[attr-defined]
    assert node.dbt_node_started_at < node.dbt_node_finished_at  # type: ignore[attr-defined]
    assert node.floe_dbt_runtime == "local"  # type: ignore[attr-defined]
    # Absent, not None, where dbt has nothing to say (an OTel attribute has no null).
    assert not hasattr(other, "dbt_node_status")
    assert not hasattr(other, "dbt_execution_time")


def test_a_parse_before_the_invocation_does_not_repeat_its_banner_or_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One call, two dbt invocations (parse, then run): a console shows each line once."""
    caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
    router = DbtEventRouter()
    for callback in (router.parse_callback, router):
        callback(_event("MainReportVersion", "info", "Running with dbt=1.11"))
        callback(
            _event(
                "AdapterRegistered",
                "info",
                "Registered adapter",
                adapter_name="duckdb",
                adapter_version="=1.11",
            )
        )
        callback(_event("DeprecationsSummary", "warn", "Summary of encountered deprecations"))
    assert [r.getMessage() for r in caplog.records] == [
        "Running with dbt=1.11",
        "Registered adapter",
        "Summary of encountered deprecations",
    ]
    # Without a parse (a reused manifest), the invocation's own banner is shown.
    caplog.clear()
    fresh = DbtEventRouter()
    fresh(_event("MainReportVersion", "info", "Running with dbt=1.11"))
    assert [r.getMessage() for r in caplog.records] == ["Running with dbt=1.11"]


def test_router_remembers_the_adapter_even_when_logging_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.CRITICAL, logger=EVENT_LOGGER_NAME)
    router = DbtEventRouter()
    router(
        _event(
            "AdapterRegistered",
            "info",
            "Registered adapter: duckdb=1.11.1",
            adapter_name="duckdb",
            adapter_version="=1.11.1",
        )
    )
    assert router.adapter == ("duckdb", "1.11.1")
    assert caplog.records == []
