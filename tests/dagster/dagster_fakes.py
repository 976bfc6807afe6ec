"""A ``DBTPlugin`` without dbt, and hand-made manifests, for the Dagster plugin's unit tests.

``ScriptedRuntime`` writes a real ``run_results.json`` for every call, counts it
with the shared counting function and opens the same ``floe.dbt.run`` span a
real runtime opens, so the plugin sees what it would see from dbt.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from floe_core.artifacts import count_run_results, read_json_artifact
from floe_core.errors import DBTCompilationError
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.telemetry import dbt_span, record_result

PACKAGE = "shop"


def model_node(
    name: str,
    depends_on: Sequence[str] = (),
    *,
    package: str = PACKAGE,
    **extra: Any,
) -> dict[str, Any]:
    """A manifest model node as dbt writes it (only the fields the plugin reads)."""
    node: dict[str, Any] = {
        "unique_id": f"model.{package}.{name}",
        "resource_type": "model",
        "name": name,
        "package_name": package,
        "database": "warehouse",
        "schema": "main",
        "alias": name,
        "relation_name": f'"warehouse"."main"."{name}"',
        "description": "",
        "config": {"materialized": "table", "meta": {}},
        "meta": {},
        "depends_on": {"nodes": [f"model.{package}.{dep}" for dep in depends_on]},
    }
    node.update(extra)
    return node


def manifest_of(*nodes: dict[str, Any]) -> dict[str, Any]:
    """A manifest document holding these nodes."""
    return {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {node["unique_id"]: node for node in nodes},
        "sources": {},
        "groups": {},
    }


class ScriptedRuntime(DBTPlugin):
    """Runs nothing; answers as dbt would have.

    Args:
        workdir: Where its ``run_results.json`` files go.
        errors: Model name -> the dbt error message its run ends with.
        parallel: What ``supports_parallel_execution`` says.
        models_run: How many models each successful run reports.
        manifest: What ``compile_project`` writes to ``workdir/manifest.json``.
    """

    runtime_type = "scripted"

    def __init__(
        self,
        workdir: Path,
        errors: Mapping[str, str] | None = None,
        parallel: bool = False,
        models_run: int = 1,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.workdir = workdir
        self.errors = dict(errors or {})
        self.parallel = parallel
        self.models_run = models_run
        self.manifest = manifest
        self.manifest_path = workdir / "manifest.json"
        self.compiles: list[tuple[Path, Path, str]] = []
        self.calls: list[dict[str, Any]] = []
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        call = {
            "project_dir": project_dir,
            "profiles_dir": profiles_dir,
            "target": target,
            "select": select,
            "exclude": exclude,
            "full_refresh": full_refresh,
        }
        with self._lock:
            self.calls.append(call)
            number = next(self._numbers)
        with dbt_span(
            "run", runtime=self.runtime_type, target=target, select=select, exclude=exclude
        ) as span:
            self.wait_for_company(str(select))
            result = self._result(str(select), number)
            record_result(span, result)
        return result

    def wait_for_company(self, select: str) -> None:
        """Hook for subclasses that need runs to overlap."""

    def _result(self, select: str, number: int) -> DBTRunResult:
        error = self.errors.get(select)
        results = [
            {
                "unique_id": f"model.{PACKAGE}.{select}",
                "status": "error" if error else "success",
                "message": error or "OK",
            }
            for _ in range(self.models_run)
        ]
        run_results_path = self.workdir / f"run_results-{number}.json"
        run_results_path.write_text(json.dumps({"results": results}), encoding="utf-8")
        counts = count_run_results({"results": results})
        return DBTRunResult(
            success=counts.failures == 0,
            manifest_path=self.manifest_path,
            run_results_path=run_results_path,
            execution_time_seconds=0.0,
            models_run=counts.models_run,
            tests_run=counts.tests_run,
            failures=counts.failures,
            metadata={"invocation": number},
        )

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        if self.manifest is None:
            raise DBTCompilationError("this scripted runtime has no manifest to compile")
        self.compiles.append((project_dir, profiles_dir, target))
        self.manifest_path.write_text(json.dumps(self.manifest), encoding="utf-8")
        return self.manifest_path

    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        raise AssertionError("the Dagster plugin never runs tests")

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        return read_json_artifact(self.manifest_path, what="compile first")

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        raise AssertionError("not used")

    def supports_parallel_execution(self) -> bool:
        return self.parallel

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": self.runtime_type}


def dbt_run_spans(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    """The ``floe.dbt.run`` spans among ``spans``, ordered by start time."""
    runs = [span for span in spans if span.name == "floe.dbt.run"]
    return sorted(runs, key=lambda span: span.start_time or 0)


def max_overlap(intervals: Sequence[tuple[int, int]]) -> int:
    """The most intervals that were open at one instant (ends before starts on ties)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, delta in events:
        open_now += delta
        peak = max(peak, open_now)
    return peak
