"""REQ-089: the dbt Fusion placeholder raises everywhere, loads nothing, and is discoverable."""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from floe_core import plugin_registry
from floe_core.lifecycle import DBTLifecycle, supports_lifecycle
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.plugin_registry import FUSION_WARNING, PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_dbt_fusion import DBTFusionPlugin

# Spelled out, not imported: this is the text REQ-089 prints.
REQ_089_MESSAGE = (
    "dbt Fusion Python bindings not yet available. "
    "Track progress: https://github.com/dbt-labs/dbt-fusion/issues/10"
)
CONTRACT_METHODS = sorted(DBTPlugin.__abstractmethods__)
LIFECYCLE_METHODS = sorted(DBTLifecycle.__abstractmethods__)

_ARGUMENTS: dict[str, dict[str, Any]] = {
    "project_dir": {"project_dir": Path("proj")},
    "profiles_dir": {"profiles_dir": Path("proj")},
    "target": {"target": "dev"},
    "vars": {"vars": {"start_date": "2024-01-01"}},
}


def _call(plugin: DBTPlugin, method: str) -> Any:
    bound = getattr(plugin, method)
    arguments: dict[str, Any] = {}
    for name, parameter in inspect.signature(bound).parameters.items():
        if parameter.default is inspect.Parameter.empty:
            arguments |= _ARGUMENTS[name]
    return bound(**arguments)


def test_the_contract_has_seven_methods_and_the_lifecycle_four() -> None:
    # Guards the parametrisation below: a new abstract method must be covered too.
    assert len(CONTRACT_METHODS) == 7
    assert LIFECYCLE_METHODS == ["build", "seed", "snapshot", "with_vars"]


@pytest.mark.parametrize("method", CONTRACT_METHODS + LIFECYCLE_METHODS)
def test_every_method_raises_the_req_089_message(method: str) -> None:
    with pytest.raises(NotImplementedError) as raised:
        _call(DBTFusionPlugin(), method)

    assert str(raised.value) == REQ_089_MESSAGE


def test_is_a_concrete_dbt_plugin() -> None:
    assert issubclass(DBTFusionPlugin, DBTPlugin)
    assert not inspect.isabstract(DBTFusionPlugin)


def test_declares_the_lifecycle_capability_with_the_interface_signatures() -> None:
    # Declared, so a caller asking supports_lifecycle() gets REQ-089's answer, not "absent".
    assert supports_lifecycle(DBTFusionPlugin())
    for method in LIFECYCLE_METHODS:
        assert inspect.signature(getattr(DBTFusionPlugin, method)) == inspect.signature(
            getattr(DBTLifecycle, method)
        ), method


def test_registry_discovers_and_builds_it_from_a_manifest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugin_registry._warn_fusion_discovered.cache_clear()
    manifest = PlatformManifest.model_validate(
        {"plugins": {"dbt_runtime": "fusion", "dbt_runtime_config": {"fusion": {}}}}
    )
    registry = PluginRegistry()

    with caplog.at_level(logging.WARNING, logger=plugin_registry.__name__):
        runtime = registry.create_dbt_runtime(manifest)
        assert "fusion" in registry.names("dbt")

    assert type(runtime) is DBTFusionPlugin
    warnings = [record for record in caplog.records if record.getMessage() == FUSION_WARNING]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


_EXERCISE = """
import json, sys
from pathlib import Path
before = set(sys.modules)
from floe_dbt_fusion import DBTFusionPlugin
plugin = DBTFusionPlugin.from_config(None, None)
calls = [
    lambda: plugin.compile_project(Path("p"), Path("p"), "dev"),
    lambda: plugin.run_models(Path("p"), Path("p"), "dev", select="m"),
    lambda: plugin.run_tests(Path("p"), Path("p"), "dev"),
    lambda: plugin.get_manifest(Path("p")),
    lambda: plugin.get_run_results(Path("p")),
    plugin.supports_parallel_execution,
    plugin.get_runtime_metadata,
    lambda: plugin.seed(Path("p"), Path("p"), "dev"),
    lambda: plugin.snapshot(Path("p"), Path("p"), "dev"),
    lambda: plugin.build(Path("p"), Path("p"), "dev", vars={"x": 1}),
    lambda: plugin.with_vars({"x": 1}),
]
raised = 0
for call in calls:
    try:
        call()
    except NotImplementedError:
        raised += 1
print(json.dumps({"raised": raised, "loaded": sorted(set(sys.modules) - before)}))
"""


def test_loads_no_binary_and_no_bindings() -> None:
    completed = subprocess.run(  # a fresh interpreter: this one has dbt loaded already
        [sys.executable, "-c", _EXERCISE], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(completed.stdout)

    assert report["raised"] == 11
    roots = {name.split(".")[0] for name in report["loaded"]}
    assert not roots & {"dbt", "dbt_fusion", "dbt_sa_cli", "ctypes", "_ctypes", "cffi"}
    assert not {"floe_dbt_local", "floe_dbt_cloud"} & roots
