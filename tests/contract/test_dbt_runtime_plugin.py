"""REQ-094: every registered dbt runtime satisfies the DBTPlugin ABC, found through the registry.

The full behavioural certification is ``pytest --floe-dbt-compliance``; these
are the spec's contract tests, kept as the spec prints them (with the cloud
runtime built from the registry with the arguments it requires).
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


def test_the_reference_runtimes_are_registered():
    assert set(PluginRegistry().names("dbt")) >= set(RUNTIME_ARGUMENTS)


@pytest.mark.parametrize("runtime", sorted(RUNTIME_ARGUMENTS))
def test_dbt_runtime_plugin_compliance(runtime: str):
    """Verify DBTPlugin implementations satisfy the ABC."""
    registry = PluginRegistry()
    plugin = registry.get_plugin("dbt", runtime, **RUNTIME_ARGUMENTS[runtime])
    try:
        assert isinstance(plugin, DBTPlugin)
        assert not inspect.isabstract(type(plugin))
        for method in METHODS:
            assert callable(getattr(plugin, method))
            got = inspect.signature(getattr(plugin, method), eval_str=True)
            want = inspect.signature(getattr(DBTPlugin, method), eval_str=True)
            assert list(got.parameters) == [name for name in want.parameters if name != "self"]
            assert got.return_annotation == want.return_annotation, method
        sig = inspect.signature(plugin.compile_project, eval_str=True)
        assert sig.return_annotation == Path
        assert inspect.signature(plugin.run_models, eval_str=True).return_annotation is (
            DBTRunResult
        )
    finally:
        close = getattr(plugin, "close", None)
        if close is not None:
            close()


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_dbt_runtime_compile_and_run(tmp_path: Path):
    """Integration test: compile and run a dbt project through the registry."""
    copy = copy_project("healthy", tmp_path)
    for runtime in ["local"]:  # cloud is certified against the emulator by the kit
        plugin = PluginRegistry().get_plugin("dbt", runtime)

        manifest_path = plugin.compile_project(
            project_dir=copy.project_dir, profiles_dir=copy.profiles_dir, target="dev"
        )
        assert manifest_path.exists()

        result = plugin.run_models(
            project_dir=copy.project_dir, profiles_dir=copy.profiles_dir, target="dev"
        )
        assert result.success
        assert result.models_run == 5  # fixtures/healthy/README.md
        assert result.manifest_path.exists()
