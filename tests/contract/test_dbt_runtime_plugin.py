"""REQ-094: every registered dbt runtime satisfies the DBTPlugin ABC, found through the registry.

The full behavioural certification is ``pytest --floe-dbt-compliance``; these
are the spec's contract tests. ``test_dbt_runtime_plugin_compliance`` and
``test_dbt_runtime_compile_and_run`` are REQ-094's example, copied verbatim:
``get_plugin("dbt", runtime)`` with no arguments builds each runtime the way a
platform does, from the platform manifest the environment names
(``$FLOE_MANIFEST``), which the ``platform_manifest`` fixture writes. The
helpers the example calls are defined below.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from floe_dbt_compliance.projects import copy_project
from pydantic import SecretStr

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.plugin_registry import PluginRegistry

# REQ-094 does not bound its integration test; a real dbt run here must end.
pytestmark = pytest.mark.timeout(180)

RUNTIME_ARGUMENTS: dict[str, dict[str, Any]] = {
    "local": {},
    "cloud": {
        "account_id": "12345",
        "api_token": SecretStr("not-a-real-token"),
        "base_url": "http://127.0.0.1:9/api/v2",
        "job_ids": {"compile": 1, "run": 2, "test": 3},
    },
    "fusion": {},
}
METHODS = (
    "compile_project",
    "run_models",
    "run_tests",
    "get_manifest",
    "get_run_results",
    "supports_parallel_execution",
    "get_runtime_metadata",
)
# The platform manifest a deployment would have: cloud on a loopback port nothing
# listens on (building a runtime must not call out), its token in the environment.
PLATFORM_MANIFEST = """\
plugins:
  dbt_runtime: cloud
  dbt_runtime_config:
    cloud:
      account_id: "12345"
      api_token_ref: dbt-cloud-api-token
      base_url: http://127.0.0.1:9/api/v2
      job_ids: {compile: 1, run: 2, test: 3}
      cache_dir: CACHE
"""
PROJECT = "healthy"


@pytest.fixture(autouse=True)
def platform_manifest(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """``$FLOE_MANIFEST`` names a platform manifest; the token is in the env backend."""
    directory = tmp_path_factory.mktemp("platform")
    path = directory / "manifest.yaml"
    path.write_text(PLATFORM_MANIFEST.replace("CACHE", str(directory / "cache")))
    monkeypatch.setenv("FLOE_MANIFEST", str(path))
    monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", "not-a-real-token")
    return path


def _project(tmp_path: Path) -> Path:
    project = tmp_path / PROJECT
    if not project.is_dir():
        copy_project(PROJECT, tmp_path)
    return project.resolve()


def setup_test_dbt_project(tmp_path: Path) -> Path:
    """A private copy of the kit's ``healthy`` project (5 models), on its own DuckDB file."""
    return _project(tmp_path)


def setup_test_profiles(tmp_path: Path) -> Path:
    """The directory of that copy's ``profiles.yml`` (the copy itself)."""
    return _project(tmp_path)


def test_the_reference_runtimes_are_registered():
    assert set(PluginRegistry().names("dbt")) >= set(RUNTIME_ARGUMENTS)


@pytest.mark.parametrize("runtime", sorted(RUNTIME_ARGUMENTS))
def test_registered_runtimes_keep_the_contract_signatures(runtime: str):
    """Beyond the spec's example: every method's parameters and annotations, for every runtime."""
    registry = PluginRegistry()
    plugin = registry.get_plugin("dbt", runtime, **RUNTIME_ARGUMENTS[runtime])
    try:
        assert isinstance(plugin, DBTPlugin)
        assert not inspect.isabstract(type(plugin))
        for method in METHODS:
            assert callable(getattr(plugin, method))
            got = inspect.signature(getattr(plugin, method))
            want = inspect.signature(getattr(DBTPlugin, method), eval_str=True)
            assert list(got.parameters) == [name for name in want.parameters if name != "self"]
            # Not eval_str: the annotations are objects, as the spec's test reads them.
            assert got.return_annotation == want.return_annotation, method
        assert inspect.signature(plugin.run_models).return_annotation is DBTRunResult
    finally:
        close = getattr(plugin, "close", None)
        if close is not None:
            close()


def test_runtimes_built_without_arguments_come_from_the_platform_manifest():
    cloud = PluginRegistry().get_plugin("dbt", "cloud")
    try:
        assert (cloud.account_id, cloud.base_url, cloud.job_ids.run) == (
            "12345",
            "http://127.0.0.1:9/api/v2",
            2,
        )
        assert "not-a-real-token" not in repr(cloud)
    finally:
        cloud.close()
    assert PluginRegistry().get_plugin("dbt", "local").lock_timeout_seconds == 3600


# --- REQ-094's example, verbatim (not reformatted) ---------------------------------
# fmt: off


@pytest.mark.parametrize("runtime", ["local", "cloud"])
def test_dbt_runtime_plugin_compliance(runtime: str):
    """Verify DBTPlugin implementations satisfy ABC."""
    registry = PluginRegistry()
    plugin = registry.get_plugin("dbt", runtime)

    # ABC compliance
    assert isinstance(plugin, DBTPlugin)

    # All abstract methods callable
    assert callable(plugin.compile_project)
    assert callable(plugin.run_models)
    assert callable(plugin.run_tests)
    assert callable(plugin.get_manifest)
    assert callable(plugin.get_run_results)
    assert callable(plugin.supports_parallel_execution)
    assert callable(plugin.get_runtime_metadata)

    # Type hints present
    import inspect
    sig = inspect.signature(plugin.compile_project)
    assert sig.return_annotation == Path

@pytest.mark.integration
def test_dbt_runtime_compile_and_run(tmp_path: Path):
    """Integration test: compile and run dbt project."""
    project_dir = setup_test_dbt_project(tmp_path)
    profiles_dir = setup_test_profiles(tmp_path)

    for runtime in ["local"]:  # Cloud requires API credentials
        plugin = PluginRegistry().get_plugin("dbt", runtime)

        # Compile
        manifest_path = plugin.compile_project(
            project_dir=project_dir,
            profiles_dir=profiles_dir,
            target="dev",
        )
        assert manifest_path.exists()

        # Run
        result = plugin.run_models(
            project_dir=project_dir,
            profiles_dir=profiles_dir,
            target="dev",
        )
        assert result.success
        assert result.models_run > 0
        assert result.manifest_path.exists()
# fmt: on


# REQ-087: "pytest-timeout enforces 60s max compilation time" (a fresh parse, dbt's import too).
@pytest.mark.integration
@pytest.mark.timeout(60)
def test_compilation_ends_within_60_seconds(tmp_path: Path):
    manifest = (
        PluginRegistry()
        .get_plugin("dbt", "local")
        .compile_project(setup_test_dbt_project(tmp_path), setup_test_profiles(tmp_path), "dev")
    )
    assert manifest.is_file()
