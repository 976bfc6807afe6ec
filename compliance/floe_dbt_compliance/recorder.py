"""Calling a runtime and recording everything the checks read about that call.

Every call the kit makes on a runtime goes through :meth:`Recorder.call`,
which keeps a :class:`Call`: the value or the exception, how long it took,
its spans (and, when asked, its log records), the artifacts the result
points to as they were right after the call, what ``get_manifest()`` /
``get_run_results()`` answered then, the warehouse, the remote calls it
made and the artifact cache before and after. :func:`observe_call` turns a
call into the :class:`~floe_dbt_compliance.observe.Observation` compared
with the reference's.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import command_for_method
from floe_dbt_compliance.errors import CheckFailed
from floe_dbt_compliance.harness import RuntimeHarness
from floe_dbt_compliance.observe import (
    Observation,
    compiled_ids,
    contract_error,
    manifest_ids,
    node_statuses,
)
from floe_dbt_compliance.otel_logs import exported_logs
from floe_dbt_compliance.scenarios import KEEP_STATE, Step, apply_change, write_state
from floe_dbt_compliance.spans import CallTrace, SpanRecorder
from floe_dbt_compliance.warehouse import Location, read_location

__all__ = ["NOT_READ", "UNREADABLE", "Call", "Recorder", "observe_call", "read_json", "tree"]

NOT_READ: Any = object()
#: What the warehouse holds, for the kit, when the kit could not read it.
UNREADABLE = "(the kit could not read the warehouse)"


def read_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file (the kit's own reading, independent of the runtime)."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return document


def tree(root: Path | None) -> dict[str, str]:
    """Every file under ``root``, relative path -> sha256 of its bytes."""
    if root is None or not root.is_dir():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass
class Call:
    """One recorded call.

    Attributes:
        label: What was called, e.g. ``run_models(select='fct_orders')``.
        step: The scenario step it performed, when it was one.
        value: What the call returned.
        error: What it raised.
        seconds: Wall time of the call, measured by the kit.
        started: When it started (UTC).
        trace: Its spans.
        logs: The log records emitted during it as OpenTelemetry exports them, message
            and attributes (when recorded; :mod:`floe_dbt_compliance.otel_logs`).
        run_results: The result's ``run_results.json``, read right after the call.
        manifest: The ``manifest.json`` the result (or ``compile_project``) points to.
        artifact_error: Why those files could not be read.
        latest_run_results: ``get_run_results()`` right after the call (or the exception).
        latest_manifest: ``get_manifest()`` right after the call (or the exception).
        warehouse: The warehouse right after the call (``None``: nothing there;
            :data:`UNREADABLE` as its one relation when the kit could not read it).
        remote_calls: Remote calls the runtime made during the call, when counted.
        cache_before: The artifact cache's files before the call, when watched.
        cache_after: And after it.
    """

    label: str
    step: Step | None = None
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    trace: CallTrace = field(default_factory=CallTrace)
    logs: list[str] = field(default_factory=list)
    run_results: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    artifact_error: str | None = None
    latest_run_results: Any = NOT_READ
    latest_manifest: Any = NOT_READ
    warehouse: dict[str, Any] | None = None
    remote_calls: int | None = None
    cache_before: dict[str, str] | None = None
    cache_after: dict[str, str] | None = None

    def returned(self) -> Any:
        """The value, failing the check when the call raised."""
        if self.error is not None:
            pytest.fail(
                f"{self.label} raised {type(self.error).__name__}: {self.error}", pytrace=False
            )
        return self.value

    def result(self) -> DBTRunResult:
        """The :class:`DBTRunResult` the call returned, with its artifacts read."""
        value = self.returned()
        assert isinstance(value, DBTRunResult), (
            f"{self.label} returned {type(value).__name__}, not DBTRunResult"
        )
        assert self.run_results is not None, (
            f"{self.label}: the result's run_results.json could not be read: {self.artifact_error}"
        )
        return value


def _answer(function: Callable[[], Any]) -> Any:
    try:
        return function()
    except Exception as exc:
        return exc


class Recorder:
    """Calls a runtime through its harness and records each :class:`Call`.

    Args:
        harness: The runtime and its project.
        spans: The kit's span recorder.
        latest: Also record ``get_manifest()`` / ``get_run_results()`` after each call.
        warehouse: Read the warehouse after each call (at ``location``).
        location: Where the runtime's effects land: the copy's DuckDB file or
            scratch schema (nothing is read without it).
        logs: Record log records (every level) during each call.
        cache: Record the artifact cache's files before and after each call.
        artifacts: Read the files a result points to right after the call
            (off for concurrent calls, which rewrite each other's files).
    """

    def __init__(
        self,
        harness: RuntimeHarness,
        spans: SpanRecorder,
        *,
        latest: bool = False,
        warehouse: bool = True,
        location: Location | None = None,
        logs: bool = False,
        cache: bool = False,
        artifacts: bool = True,
    ) -> None:
        self.harness = harness
        self.spans = spans
        self.latest = latest
        self.warehouse = (
            warehouse
            and location is not None
            and "warehouse" not in (getattr(harness, "unobservable", None) or {})
        )
        self.location = location
        self.logs = logs
        self.cache = cache
        self.artifacts = artifacts
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def call(self, label: str, function: Callable[[], Any], *, step: Step | None = None) -> Call:
        """Call ``function`` in its own trace and record what followed from it."""
        h = self.harness
        record = Call(label=label, step=step)
        if self.cache:
            record.cache_before = tree(h.cache_root)
        counted = h.remote_calls() if h.remote_calls is not None else None
        started = time.perf_counter()
        with self.spans.call(label) as trace, self._maybe_logs(record):
            try:
                record.value = function()
            except Exception as exc:
                record.error = exc
        record.seconds = time.perf_counter() - started
        record.trace = trace
        if counted is not None and h.remote_calls is not None:
            record.remote_calls = h.remote_calls() - counted
        if self.cache:
            record.cache_after = tree(h.cache_root)
        if self.artifacts:
            self._read_artifacts(record)
        if self.latest and step is not None:
            plugin, project_dir = h.plugin, h.project_dir
            record.latest_run_results = _answer(lambda: plugin.get_run_results(project_dir))
            record.latest_manifest = _answer(lambda: plugin.get_manifest(project_dir))
        if self.warehouse:
            try:
                record.warehouse = read_location(self.location)
            except Exception as exc:  # named as a relation, so that a comparison shows why
                record.warehouse = {UNREADABLE: {"kind": f"unreadable ({type(exc).__name__})"}}
        with self._lock:
            self.calls.append(record)
        return record

    @contextmanager
    def _maybe_logs(self, record: Call) -> Iterator[None]:
        if not self.logs:
            yield
            return
        with exported_logs(record.logs):
            yield

    def _read_artifacts(self, record: Call) -> None:
        try:
            if isinstance(record.value, DBTRunResult):
                record.run_results = read_json(record.value.run_results_path)
                record.manifest = read_json(record.value.manifest_path)
            elif isinstance(record.value, Path):
                record.manifest = read_json(record.value)
        except (OSError, ValueError) as exc:
            record.artifact_error = f"{type(exc).__name__}: {exc}"

    def perform(self, step: Step) -> Call | None:
        """Perform a scenario step on the harness's runtime (``None`` for an edit)."""
        h = self.harness
        if step.method == KEEP_STATE:
            # The runtime's own latest manifest: its relations, in its place of the warehouse.
            try:
                manifest = h.plugin.get_manifest(h.project_dir)
            except Exception as exc:
                raise CheckFailed(
                    f"{step.label}: get_manifest() raised {type(exc).__name__}: {exc}"
                ) from exc
            write_state(h.project_dir, step.as_json(), manifest)
            return None
        if step.command is None:
            apply_change(h.project_dir, step.as_json())
            return None
        target = step.target if step.target is not None else h.target
        options = dict(step.options)

        def invoke() -> Any:
            runtime: Any = h.plugin
            if step.bound_vars is not None:
                runtime = runtime.with_vars(dict(step.bound_vars))
            if step.fail_fast:
                runtime = runtime.with_fail_fast()
            if step.state is not None:
                runtime = runtime.with_state(h.project_dir / step.state, defer=step.defer)
            method = getattr(runtime, step.method)
            project_dir = (
                h.project_dir if step.project_dir is None else h.project_dir / step.project_dir
            )
            return method(project_dir, h.profiles_dir, target, **options)

        return self.call(step.label, invoke, step=step)


def observe_call(call: Call) -> Observation:
    """What a call on the runtime under test made observable (as the reference is observed)."""
    if call.error is not None:
        return Observation(
            raised=contract_error(call.error), message=str(call.error), warehouse=call.warehouse
        )
    value = call.value
    if isinstance(value, Path) or (call.step is not None and call.step.command == "compile"):
        return Observation(
            manifest=manifest_ids(call.manifest),
            compiled=compiled_ids(call.manifest),
            warehouse=call.warehouse,
        )
    counts = lifecycle = None
    if isinstance(value, DBTRunResult):
        counts = {
            "models_run": value.models_run,
            "tests_run": value.tests_run,
            "failures": value.failures,
            "success": value.success,
        }
        command = command_for_method(call.step.method) if call.step is not None else None
        if command is not None and command.metadata_counts:
            lifecycle = {key: value.metadata.get(key, "absent") for key in command.metadata_counts}
    return Observation(
        counts=counts,
        nodes=node_statuses(call.run_results),
        manifest=manifest_ids(call.manifest),
        lifecycle=lifecycle,
        warehouse=call.warehouse,
    )
