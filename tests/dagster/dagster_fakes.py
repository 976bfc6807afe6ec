"""A ``DBTPlugin`` without dbt, and hand-made manifests, for the Dagster plugin's unit tests.

``ScriptedRuntime`` answers every call as dbt would: it resolves the selector
against its manifest (``fqn:`` members by exact fqn, ``resource_type:test``,
or everything), writes a real ``run_results.json`` with a result per node it
selected (errors and skips where the script says), counts it with the shared
counting function and opens the same ``floe.dbt.<command>`` span a real
runtime opens. Every call is recorded (``calls``), so tests count runtime
invocations per Dagster step instead of timing anything.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from floe_core.artifacts import count_run_results, read_json_artifact
from floe_core.errors import DBTCompilationError
from floe_core.lifecycle import DBTLifecycle, count_lifecycle_nodes
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.selectors import validate_selector
from floe_core.telemetry import dbt_span, record_result

PACKAGE = "shop"


def model_node(
    name: str,
    depends_on: Sequence[str] = (),
    *,
    package: str = PACKAGE,
    path: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """A manifest model node as dbt writes it (only the fields the plugin reads).

    ``depends_on`` names models of the same package, or full unique ids.
    """
    return _node(
        "model", name, depends_on, package=package, path=path, materialized="table", **extra
    )


def seed_node(name: str, *, package: str = PACKAGE, **extra: Any) -> dict[str, Any]:
    """A manifest seed node."""
    return _node("seed", name, (), package=package, path=(), materialized="seed", **extra)


def snapshot_node(
    name: str, depends_on: Sequence[str] = (), *, package: str = PACKAGE, **extra: Any
) -> dict[str, Any]:
    """A manifest snapshot node."""
    return _node(
        "snapshot", name, depends_on, package=package, path=(), materialized="snapshot", **extra
    )


def dbt_test_node(
    name: str,
    depends_on: Sequence[str],
    *,
    attached: str | None = None,
    severity: str = "ERROR",
    package: str = PACKAGE,
    **extra: Any,
) -> dict[str, Any]:
    """A manifest test node; ``attached`` names the model a generic test is declared on."""
    node = _node("test", name, depends_on, package=package, path=(), materialized="test", **extra)
    node["unique_id"] = f"test.{package}.{name}.0a1b2c"
    node["config"]["severity"] = severity
    node["attached_node"] = _uid(attached, package) if attached else None
    node["original_file_path"] = "models/schema.yml" if attached else f"tests/{name}.sql"
    return node


def _uid(reference: str, package: str) -> str:
    return reference if "." in reference else f"model.{package}.{reference}"


def _node(
    resource_type: str,
    name: str,
    depends_on: Sequence[str],
    *,
    package: str,
    path: Sequence[str],
    materialized: str,
    **extra: Any,
) -> dict[str, Any]:
    folder = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "test": "tests"}
    suffix = ".csv" if resource_type == "seed" else ".sql"
    node: dict[str, Any] = {
        "unique_id": f"{resource_type}.{package}.{name}",
        "resource_type": resource_type,
        "name": name,
        "package_name": package,
        "fqn": [package, *path, name],
        "original_file_path": "/".join([folder[resource_type], *path, name + suffix]),
        "database": "warehouse",
        "schema": "main",
        "alias": name,
        "relation_name": f'"warehouse"."main"."{name}"',
        "description": "",
        "checksum": {"name": "sha256", "checksum": f"sha-{name}"},
        "config": {"materialized": materialized, "meta": {}},
        "meta": {},
        "tags": [],
        "depends_on": {"nodes": [_uid(dep, package) for dep in depends_on]},
    }
    node.update(extra)
    return node


def manifest_of(*nodes: dict[str, Any], project_name: str = PACKAGE) -> dict[str, Any]:
    """A manifest document holding these nodes."""
    return {
        "metadata": {"adapter_type": "duckdb", "project_name": project_name},
        "nodes": {node["unique_id"]: node for node in nodes},
        "sources": {},
        "groups": {},
    }


class ScriptedRuntime(DBTPlugin):
    """Runs nothing; answers as dbt would have, from its manifest.

    Args:
        workdir: Where its ``run_results.json`` files go.
        manifest: The project's manifest: what selectors resolve against and
            what ``compile_project`` writes to ``workdir/manifest.json``.
        errors: Node name -> the dbt error message its run ends with.
        test_results: Test name -> (status, failing rows); unlisted tests pass.
        parallel: What ``supports_parallel_execution`` says.
        omit: Node names dbt "forgets" to report (a stale manifest).
    """

    runtime_type = "scripted"

    def __init__(
        self,
        workdir: Path,
        manifest: dict[str, Any],
        errors: Mapping[str, str] | None = None,
        test_results: Mapping[str, tuple[str, int]] | None = None,
        parallel: bool = False,
        omit: Sequence[str] = (),
    ) -> None:
        self.workdir = workdir
        self.manifest = manifest
        self.errors = dict(errors or {})
        self.test_results = dict(test_results or {})
        self.parallel = parallel
        self.omit = set(omit)
        self.manifest_path = workdir / "manifest.json"
        self.compiles: list[tuple[Path, Path, str]] = []
        self.calls: list[dict[str, Any]] = []
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    # -- what tests look at --------------------------------------------------

    def commands(self) -> list[str]:
        """The dbt command of every call, in order."""
        return [call["command"] for call in self.calls]

    def selected(self, command: str) -> list[set[str]]:
        """The node names each call of ``command`` selected."""
        return [call["names"] for call in self.calls if call["command"] == command]

    # -- the contract ----------------------------------------------------------

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        return self._invoke("run", "model", project_dir, profiles_dir, target, select, exclude)

    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        return self._invoke("test", "test", project_dir, profiles_dir, target, select, None)

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        self.compiles.append((project_dir, profiles_dir, target))
        if not self.manifest:
            raise DBTCompilationError("this scripted runtime has no manifest to compile")
        self.manifest_path.write_text(json.dumps(self.manifest), encoding="utf-8")
        return self.manifest_path

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        return read_json_artifact(self.manifest_path, what="compile first")

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        raise AssertionError("the Dagster plugin reads the run_results_path of each result")

    def supports_parallel_execution(self) -> bool:
        return self.parallel

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": self.runtime_type}

    # -- how it answers --------------------------------------------------------

    def wait_for_company(self, select: str | None) -> None:
        """Hook for subclasses that need runs to overlap."""

    def _invoke(
        self,
        command: str,
        resource_type: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None,
        exclude: str | None,
    ) -> DBTRunResult:
        validate_selector(select, field="select")
        selected = self._resolve(select, resource_type)
        call = {
            "command": command,
            "project_dir": project_dir,
            "profiles_dir": profiles_dir,
            "target": target,
            "select": select,
            "exclude": exclude,
            "names": {self.manifest["nodes"][uid]["name"] for uid in selected},
        }
        with self._lock:
            self.calls.append(call)
            number = next(self._numbers)
        with dbt_span(command, runtime=self.runtime_type, target=target, select=select) as span:
            self.wait_for_company(select)
            result = self._result(selected, number)
            record_result(span, result)
        return result

    def _resolve(self, select: str | None, resource_type: str) -> list[str]:
        nodes = self.manifest["nodes"]
        of_type = [uid for uid, n in nodes.items() if n["resource_type"] == resource_type]
        if select is None or select == f"resource_type:{resource_type}":
            return sorted(of_type)
        chosen: set[str] = set()
        for member in select.split(" "):
            wanted = [part.split(":", 1)[1] for part in member.split(",")]
            fqn = wanted[0].split(".")
            chosen |= {uid for uid in of_type if nodes[uid]["fqn"] == fqn}
        return sorted(chosen)

    def _result(self, selected: list[str], number: int) -> DBTRunResult:
        nodes = self.manifest["nodes"]
        failed: set[str] = set()
        results = []
        for unique_id in _topological(selected, nodes):
            node = nodes[unique_id]
            if node["name"] in self.omit:
                continue
            upstream = set(node["depends_on"]["nodes"])
            if node["resource_type"] == "test":
                status, rows = self.test_results.get(node["name"], ("pass", 0))
                entry = {"status": status, "failures": rows, "message": f"Got {rows} results"}
            elif upstream & failed:
                failed.add(unique_id)
                entry = {"status": "skipped", "message": "SKIP"}
            elif node["name"] in self.errors:
                failed.add(unique_id)
                entry = {"status": "error", "message": self.errors[node["name"]]}
            else:
                entry = {"status": "success", "message": "OK"}
                entry["adapter_response"] = {"rows_affected": 7, "_message": "OK"}
            entry.update(unique_id=unique_id, execution_time=0.25, relation_name=None)
            results.append(entry)
        # Step processes of the multiprocess executor each count from 0 in one workdir.
        run_results_path = self.workdir / f"run_results-{os.getpid()}-{number}.json"
        run_results_path.write_text(json.dumps({"results": results}), encoding="utf-8")
        counts = count_run_results({"results": results})
        metadata: dict[str, Any] = {"invocation": number}
        metadata.update(count_lifecycle_nodes({"results": results}).as_metadata())
        return DBTRunResult(
            success=counts.failures == 0,
            manifest_path=self.manifest_path,
            run_results_path=run_results_path,
            execution_time_seconds=0.0,
            models_run=counts.models_run,
            tests_run=counts.tests_run,
            failures=counts.failures,
            metadata=metadata,
        )


class ScriptedLifecycleRuntime(ScriptedRuntime, DBTLifecycle):
    """A scripted runtime that also has the lifecycle capability (seed, snapshot ...)."""

    runtime_type = "scripted-lifecycle"

    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        return self._invoke("seed", "seed", project_dir, profiles_dir, target, select, exclude)

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        return self._invoke(
            "snapshot", "snapshot", project_dir, profiles_dir, target, select, exclude
        )

    def build(self, *args: Any, **kwargs: Any) -> DBTRunResult:
        raise AssertionError("the Dagster plugin runs seed, snapshot, run and test, never build")

    def with_vars(self, vars: Mapping[str, Any]) -> ScriptedLifecycleRuntime:
        bound = ScriptedLifecycleRuntime(self.workdir, self.manifest)
        bound.bound_vars = {**getattr(self, "bound_vars", {}), **vars}
        return bound


def _topological(selected: list[str], nodes: Mapping[str, Any]) -> list[str]:
    done: list[str] = []
    pending = list(selected)
    while pending:
        ready = [
            uid
            for uid in pending
            if not set(nodes[uid]["depends_on"]["nodes"]) & (set(pending) - {uid})
        ]
        done += sorted(ready)
        pending = [uid for uid in pending if uid not in ready]
    return done


def dbt_spans(spans: Sequence[ReadableSpan], command: str) -> list[ReadableSpan]:
    """The ``floe.dbt.<command>`` spans among ``spans``, ordered by start time."""
    found = [span for span in spans if span.name == f"floe.dbt.{command}"]
    return sorted(found, key=lambda span: span.start_time or 0)


def max_overlap(intervals: Sequence[tuple[int, int]]) -> int:
    """The most intervals that were open at one instant (ends before starts on ties)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = peak = 0
    for _, delta in events:
        open_now += delta
        peak = max(peak, open_now)
    return peak
