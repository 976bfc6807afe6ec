"""The DBTPlugin contract is exactly REQ-086's, and DBTRunResult is exactly its nine fields."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from pydantic import ValidationError

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, OrchestratorPlugin, SecretsPlugin

# REQ-086, verbatim: name -> (parameters with defaults, return annotation).
EXPECTED: dict[str, tuple[list[tuple[str, Any]], Any]] = {
    "compile_project": (
        [("project_dir", Path), ("profiles_dir", Path), ("target", str)],
        Path,
    ),
    "run_models": (
        [
            ("project_dir", Path),
            ("profiles_dir", Path),
            ("target", str),
            ("select", str | None),
            ("exclude", str | None),
            ("full_refresh", bool),
        ],
        DBTRunResult,
    ),
    "run_tests": (
        [("project_dir", Path), ("profiles_dir", Path), ("target", str), ("select", str | None)],
        DBTRunResult,
    ),
    "get_manifest": ([("project_dir", Path)], dict[str, Any]),
    "get_run_results": ([("project_dir", Path)], dict[str, Any]),
    "supports_parallel_execution": ([], bool),
    "get_runtime_metadata": ([], dict[str, Any]),
}
DEFAULTS = {"select": None, "exclude": None, "full_refresh": False}


def test_exactly_the_seven_abstract_methods() -> None:
    assert DBTPlugin.__abstractmethods__ == frozenset(EXPECTED)
    with pytest.raises(TypeError, match="abstract"):
        DBTPlugin()  # type: ignore[abstract]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_signature_and_annotations(name: str) -> None:
    method = getattr(DBTPlugin, name)
    parameters = list(inspect.signature(method).parameters.values())[1:]
    hints = get_type_hints(method)
    expected_parameters, expected_return = EXPECTED[name]
    assert [(p.name, hints[p.name]) for p in parameters] == expected_parameters
    for parameter in parameters:
        expected_default = DEFAULTS.get(parameter.name, inspect.Parameter.empty)
        assert parameter.default == expected_default, parameter.name
    assert hints["return"] == expected_return


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_google_style_docstrings(name: str) -> None:
    doc = inspect.getdoc(getattr(DBTPlugin, name)) or ""
    assert "Returns:" in doc
    assert "Examples:" in doc
    if EXPECTED[name][0]:
        assert "Args:" in doc
    if name in {"compile_project", "run_models", "run_tests", "get_manifest", "get_run_results"}:
        assert "Raises:" in doc


def test_run_result_has_the_nine_fields_and_is_frozen(tmp_path: Path) -> None:
    assert list(DBTRunResult.model_fields) == [
        "success",
        "manifest_path",
        "run_results_path",
        "catalog_path",
        "execution_time_seconds",
        "models_run",
        "tests_run",
        "failures",
        "metadata",
    ]
    result = DBTRunResult(
        success=True,
        manifest_path=tmp_path / "m.json",
        run_results_path=tmp_path / "r.json",
        execution_time_seconds=0.5,
        models_run=3,
        tests_run=0,
        failures=0,
    )
    assert result.catalog_path is None
    assert result.metadata == {}
    with pytest.raises(ValidationError, match="frozen"):
        result.models_run = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    "override",
    [{"models_run": -1}, {"execution_time_seconds": -0.1}, {"unexpected": 1}],
)
def test_run_result_rejects_impossible_values(tmp_path: Path, override: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "success": True,
        "manifest_path": tmp_path,
        "run_results_path": tmp_path,
        "execution_time_seconds": 1.0,
        "models_run": 0,
        "tests_run": 0,
        "failures": 0,
    }
    with pytest.raises(ValidationError):
        DBTRunResult(**{**fields, **override})


def test_orchestrator_and_secrets_contracts() -> None:
    assert OrchestratorPlugin.__abstractmethods__ == frozenset({"create_assets_from_artifacts"})
    signature = inspect.signature(OrchestratorPlugin.create_assets_from_artifacts)
    assert list(signature.parameters) == ["self", "artifacts", "dbt_runtime_plugin"]
    assert (
        get_type_hints(OrchestratorPlugin.create_assets_from_artifacts)["dbt_runtime_plugin"]
        is DBTPlugin
    )
    assert SecretsPlugin.__abstractmethods__ == frozenset({"get_secret"})


def test_default_from_config_builds_with_no_arguments() -> None:
    class Minimal(DBTPlugin):
        def compile_project(self, project_dir, profiles_dir, target):  # type: ignore[no-untyped-def]
            raise AssertionError

        run_models = run_tests = get_manifest = get_run_results = compile_project  # type: ignore[assignment]

        def supports_parallel_execution(self) -> bool:
            return True

        def get_runtime_metadata(self) -> dict[str, Any]:
            return {"type": "minimal"}

    plugin = Minimal.from_config(None, None, no_cache=True)
    assert isinstance(plugin, Minimal)
