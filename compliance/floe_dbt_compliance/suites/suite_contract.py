"""Contract suite (REQ-086, REQ-094): the DBTPlugin promises, checked on real dbt projects.

The healthy project is driven through one sequence (compile, run all, test,
run with exclude, with select, with full refresh) shared by the checks that
read it; every other project gets its own copy. Counts and effects are the
fixture projects' (see :mod:`floe_dbt_compliance.warehouse`), never the
runtime's word alone.
"""

from __future__ import annotations

import inspect
import json
import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from floe_core.errors import DBTArtifactNotFoundError, DBTCompilationError
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dbt_compliance.fixtures import HarnessFactory
from floe_dbt_compliance.harness import RuntimeHarness, RuntimeProfile
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.steps import Step, StepRunner, executed_ids, expect_counts
from floe_dbt_compliance.warehouse import (
    EXPECTED,
    FAILING_TEST_ID,
    HEALTHY_ROWS,
    HEALTHY_TESTS,
    model_ids,
)

_HEALTHY_STEPS = ("compile", "run", "test", "exclude", "select", "full_refresh")
_RUN_STEPS = ("run", "test", "exclude", "select", "full_refresh")
_CREDENTIAL_KEY = re.compile(
    r"(token|secret|password|passwd|api[_-]?key|credential|authorization|private[_-]?key)", re.I
)
_CREDENTIAL_VALUE = re.compile(r"^(token|bearer|basic)\s+\S+", re.I)


def _entry_point_class(name: str) -> Any:
    found = {ep.name: ep for ep in entry_points(group="floe.dbt")}
    assert name in found, f"{name!r} is not registered under the floe.dbt entry-point group"
    return found[name].load()


@pytest.fixture(scope="module")
def healthy(floe_dbt_module_harness: HarnessFactory, floe_dbt_spans: SpanRecorder) -> StepRunner:
    """One healthy copy driven through the calls the contract checks read.

    In this order, and only as far as the selected checks read: compile, run
    all, test, run excluding fct_orders, selecting it, and a full refresh.
    """
    return StepRunner(floe_dbt_module_harness("healthy"), floe_dbt_spans).plan(
        ("compile", lambda runner: runner.compile()),
        ("run", lambda runner: runner.run("run")),
        ("test", lambda runner: runner.test("test")),
        ("exclude", lambda runner: runner.run("exclude", exclude="fct_orders")),
        ("select", lambda runner: runner.run("select", select="fct_orders")),
        ("full_refresh", lambda runner: runner.run("full_refresh", full_refresh=True)),
    )


def _warehouse_rows(step: Step) -> None:
    tables = step.effects().tables
    for table, rows in HEALTHY_ROWS.items():
        assert tables.get(table) == rows, (
            f"after {step.label} table {table!r} has {tables.get(table)} rows in DuckDB; "
            f"the fixture produces {rows}"
        )


@requirement("contract.subclass")
def test_subclass(floe_dbt_runtime: str, floe_dbt_profile: RuntimeProfile) -> None:
    cls = _entry_point_class(floe_dbt_runtime)
    assert isinstance(cls, type), f"the entry point loads {cls!r}, not a class"
    assert issubclass(cls, DBTPlugin), f"{cls.__qualname__} does not subclass DBTPlugin"
    left = sorted(getattr(cls, "__abstractmethods__", ()))
    assert not left, f"{cls.__qualname__} leaves abstract methods unimplemented: {left}"
    assert issubclass(floe_dbt_profile.runtime_class, cls), (
        f"the harness's runtime is a {floe_dbt_profile.class_path}, not the entry point's "
        f"{cls.__module__}:{cls.__qualname__}"
    )


def _signature(function: Any) -> inspect.Signature:
    try:
        return inspect.signature(function, eval_str=True)
    except Exception:  # names only imported for type checking: compare the text
        return inspect.signature(function)


def _text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation.replace(" ", "")
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b(typing|pathlib|builtins)\.", "", str(annotation)).replace(" ", "")


@requirement("contract.signatures")
def test_signatures(floe_dbt_runtime: str) -> None:
    cls = _entry_point_class(floe_dbt_runtime)
    problems = []
    for method in sorted(DBTPlugin.__abstractmethods__):
        expected, got = _signature(getattr(DBTPlugin, method)), _signature(getattr(cls, method))
        shape = [(p.name, p.kind, p.default) for p in expected.parameters.values()]
        got_shape = [(p.name, p.kind, p.default) for p in got.parameters.values()]
        if shape != got_shape:
            problems.append(f"{method}{got} has not the parameters of {method}{expected}")
            continue
        pairs = [(expected.return_annotation, got.return_annotation)]
        pairs += [
            (p.annotation, got.parameters[p.name].annotation) for p in expected.parameters.values()
        ]
        for want, have in pairs:
            if want != have and _text(want) != _text(have):
                problems.append(f"{method}: annotation {have!r} differs from the ABC's {want!r}")
    assert not problems, "; ".join(problems)


@requirement("contract.entry-point")
def test_entry_point(floe_dbt_runtime: str) -> None:
    from floe_core.plugin_registry import PluginRegistry

    assert floe_dbt_runtime in PluginRegistry().names("dbt")
    loaded = PluginRegistry().load_class("dbt", floe_dbt_runtime)
    assert loaded is _entry_point_class(floe_dbt_runtime)


@requirement("contract.compile")
def test_compile(healthy: StepRunner) -> None:
    step = healthy["compile"]
    path = step.returned()
    assert isinstance(path, Path), f"compile_project returned {type(path).__name__}, not Path"
    assert path.name == "manifest.json", f"compile_project returned {path}, not a manifest.json"
    assert step.manifest is not None, (
        f"the manifest compile_project returned: {step.artifact_error}"
    )
    nodes = step.manifest.get("nodes", {})
    models = {key for key in nodes if key.startswith("model.")}
    want = model_ids(healthy.harness.project_dir, "healthy")
    assert models == want, (
        f"the manifest's models are {sorted(models)}; the fixture's {sorted(want)}"
    )
    tests = [key for key in nodes if key.startswith("test.")]
    tests += list(step.manifest.get("unit_tests", {}))
    assert len(tests) == HEALTHY_TESTS, (
        f"the manifest has {len(tests)} tests; the fixture has {HEALTHY_TESTS}"
    )


@requirement("contract.run-all")
def test_run_all(healthy: StepRunner) -> None:
    step = healthy["run"]
    expect_counts(step, EXPECTED["healthy.run"])
    assert step.run_results is not None
    want = model_ids(healthy.harness.project_dir, "healthy")
    assert executed_ids(step.run_results) == want
    _warehouse_rows(step)
    assert step.effects().load_modes == {"full"}, (
        f"after the first run fct_orders.load_mode is {step.effects().load_modes}, not full"
    )


@requirement("contract.run-exclude")
def test_run_exclude(healthy: StepRunner) -> None:
    step = healthy["exclude"]
    expect_counts(step, EXPECTED["healthy.run.exclude=fct_orders"])
    assert step.run_results is not None
    ran = executed_ids(step.run_results)
    assert "model.healthy.fct_orders" not in ran, "the excluded model fct_orders ran"
    assert step.effects().load_modes == {"full"}, (
        "fct_orders was rebuilt although excluded (load_mode is "
        f"{step.effects().load_modes}, still 'full' if left alone)"
    )
    _warehouse_rows(step)


@requirement("contract.run-select")
def test_run_select(healthy: StepRunner) -> None:
    step = healthy["select"]
    expect_counts(step, EXPECTED["healthy.run.select=fct_orders"])
    assert step.run_results is not None
    ran = executed_ids(step.run_results)
    assert ran == {"model.healthy.fct_orders"}, f"select='fct_orders' ran {sorted(ran)}"
    assert step.effects().load_modes == {"incremental"}, (
        "a second run of the incremental fct_orders must be incremental; load_mode is "
        f"{step.effects().load_modes}"
    )
    _warehouse_rows(step)


@requirement("contract.run-full-refresh")
def test_run_full_refresh(healthy: StepRunner) -> None:
    step = healthy["full_refresh"]
    expect_counts(step, EXPECTED["healthy.run.full_refresh"])
    assert step.effects().load_modes == {"full"}, (
        "run_models(full_refresh=True) did not rebuild fct_orders from scratch: load_mode is "
        f"{step.effects().load_modes}"
    )
    _warehouse_rows(step)


@requirement("contract.test-pass")
def test_tests_pass(healthy: StepRunner) -> None:
    step = healthy["test"]
    expect_counts(step, EXPECTED["healthy.test"])
    assert step.run_results is not None
    statuses = {str(r["unique_id"]): str(r["status"]).lower() for r in step.run_results["results"]}
    failing = {key: status for key, status in statuses.items() if status != "pass"}
    assert not failing, f"healthy tests did not pass: {failing}"


@requirement("contract.result-paths")
def test_result_paths(healthy: StepRunner) -> None:
    for key in _RUN_STEPS:
        step = healthy[key]
        result = step.result()
        assert result.manifest_path.name == "manifest.json", f"{step.label}: {result.manifest_path}"
        assert result.run_results_path.name == "run_results.json", (
            f"{step.label}: {result.run_results_path}"
        )
        for path in (result.manifest_path, result.run_results_path, result.catalog_path):
            assert path is None or Path(path).is_file(), f"{step.label}: {path} does not exist"
        assert result.execution_time_seconds > 0, (
            f"{step.label}: execution_time_seconds is {result.execution_time_seconds}"
        )
        assert step.manifest is not None, f"{step.label}: manifest_path is not JSON"
        assert "nodes" in step.manifest, f"{step.label}: manifest_path is not a dbt manifest"


@requirement("contract.latest-artifacts")
def test_latest_artifacts(healthy: StepRunner) -> None:
    for key in _HEALTHY_STEPS:
        step = healthy[key]
        step.returned()
        for what, answer, file in (
            ("get_manifest()", step.latest_manifest, step.manifest),
            ("get_run_results()", step.latest_run_results, step.run_results),
        ):
            if (
                step.command == "compile"
                and what == "get_run_results()"
                and isinstance(answer, DBTArtifactNotFoundError)
            ):
                continue  # compiling runs nothing: "nothing has run yet" is a fair answer
            if isinstance(answer, BaseException):
                pytest.fail(
                    f"{what} after {step.label} raised {type(answer).__name__}: {answer}",
                    pytrace=False,
                )
            if file is not None:
                assert answer == file, f"{what} after {step.label} is not that call's artifact"
        assert isinstance(step.latest_manifest, dict)
        assert "nodes" in step.latest_manifest


def _credential_findings(value: Any, secrets: tuple[str, ...], where: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _CREDENTIAL_KEY.search(str(key)) and item not in (None, "", False):
                found.append(f"{where}.{key} looks like a credential")
            found += _credential_findings(item, secrets, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += _credential_findings(item, secrets, f"{where}[{index}]")
    elif isinstance(value, str):
        if _CREDENTIAL_VALUE.match(value.strip()):
            found.append(f"{where} holds an authorization header value")
        found += [f"{where} holds a secret" for secret in secrets if secret and secret in value]
    return found


@requirement("contract.metadata")
def test_metadata(floe_dbt_profile: RuntimeProfile, healthy: StepRunner) -> None:
    assert floe_dbt_profile.metadata is not None, (
        f"get_runtime_metadata() failed: {floe_dbt_profile.metadata_error}"
    )
    for metadata in (floe_dbt_profile.metadata, healthy.harness.plugin.get_runtime_metadata()):
        assert isinstance(metadata, dict), f"metadata is a {type(metadata).__name__}"
        kind = metadata.get("type")
        assert isinstance(kind, str), f"metadata has no 'type' string: {metadata}"
        assert kind, "metadata 'type' is empty"
        try:
            json.dumps(metadata, allow_nan=False)
        except (TypeError, ValueError) as exc:
            pytest.fail(f"metadata is not JSON-serialisable: {exc}", pytrace=False)
        findings = _credential_findings(metadata, floe_dbt_profile.secrets, "metadata")
        assert not findings, "; ".join(findings)
    plugin = healthy.harness.plugin
    for shown in (repr(plugin), str(plugin)):
        leaked = [s for s in floe_dbt_profile.secrets if s and s in shown]
        assert not leaked, "the runtime's repr/str shows a secret"


@requirement("contract.spans")
def test_spans(healthy: StepRunner, floe_dbt_profile: RuntimeProfile) -> None:
    for key in _HEALTHY_STEPS:
        step = healthy[key]
        names = [span.name for span in step.trace.invocation_spans()]
        assert f"floe.dbt.{step.command}" in names, (
            f"{step.label} emitted no floe.dbt.{step.command} span in the caller's trace "
            f"(saw {names or 'none'})"
        )
        for span in step.trace.spans:
            text = json.dumps(dict(span.attributes or {}), default=str)
            leaked = [s for s in floe_dbt_profile.secrets if s and s in text]
            assert not leaked, f"span {span.name} of {step.label} carries a secret"


@requirement("contract.test-fail")
def test_failing_test(floe_dbt_harness: Any, floe_dbt_spans: SpanRecorder) -> None:
    harness: RuntimeHarness = floe_dbt_harness("failing_test")
    runner = StepRunner(harness, floe_dbt_spans, read_latest=False)
    expect_counts(runner.run("run"), EXPECTED["failing_test.run"])
    step = runner.test("test")
    expect_counts(step, EXPECTED["failing_test.test"])
    assert step.run_results is not None
    statuses = {str(r["unique_id"]): str(r["status"]) for r in step.run_results["results"]}
    assert statuses.get(FAILING_TEST_ID) == "fail", f"{FAILING_TEST_ID} is {statuses}"


@requirement("contract.sql-error")
def test_sql_error(floe_dbt_harness: Any, floe_dbt_spans: SpanRecorder) -> None:
    harness: RuntimeHarness = floe_dbt_harness("sql_error")
    step = StepRunner(harness, floe_dbt_spans, read_latest=False).run("run")
    expect_counts(step, EXPECTED["sql_error.run"])
    assert step.run_results is not None
    statuses = {str(r["unique_id"]): str(r["status"]) for r in step.run_results["results"]}
    want = {
        "model.sql_error.broken": "error",
        "model.sql_error.downstream": "skipped",
        "model.sql_error.independent": "success",
    }
    assert statuses == want, f"run_results statuses {statuses}; the fixture produces {want}"
    tables = step.effects().tables
    assert "independent" in tables, "the independent model's table is missing"
    assert not {"broken", "downstream"} & set(tables), f"unexpected tables: {sorted(tables)}"


@requirement("contract.unparseable")
def test_unparseable(
    floe_dbt_harness: Any, floe_dbt_spans: SpanRecorder, floe_dbt_profile: RuntimeProfile
) -> None:
    harness: RuntimeHarness = floe_dbt_harness("unparseable")
    runner = StepRunner(harness, floe_dbt_spans, read_latest=False)
    for step in (runner.compile(), runner.run("run"), runner.test("test")):
        if step.error is None:
            shown = step.value if not isinstance(step.value, DBTRunResult) else "a DBTRunResult"
            pytest.fail(f"{step.label} on an unparseable project returned {shown}", pytrace=False)
        assert isinstance(step.error, DBTCompilationError), (
            f"{step.label} on an unparseable project raised {type(step.error).__name__}, "
            f"not DBTCompilationError: {step.error}"
        )
        assert str(step.error), f"{step.label} raised DBTCompilationError without a message"
        leaked = [s for s in floe_dbt_profile.secrets if s and s in str(step.error)]
        assert not leaked, f"{step.label}'s exception message shows a secret"
