"""The references the kit compares runtimes with, and the :class:`Oracle` the suites ask.

* :class:`DbtCoreReference` (the default): plain dbt-core, run by the kit
  itself through a bare ``dbtRunner`` in a subprocess
  (:mod:`~floe_dbt_compliance.oracle.worker`), never through a floe runtime,
  so that ``local`` is checked against dbt and not against itself. It runs
  while the runtime under test runs (another process, another copy).
* :class:`RuntimeReference`: any registered runtime, named with
  ``--floe-dbt-reference NAME``, built through the harness hooks like the
  runtime under test and run in this process.

The :class:`Oracle` gives each scenario's expected observations, computed
once per scenario and project fingerprint and kept in a
:class:`~floe_dbt_compliance.oracle.store.ReferenceStore` that every xdist
worker (and, with ``--floe-dbt-reference-cache``, every session) shares.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, Protocol

from floe_dbt_compliance.errors import ReferenceUnavailable
from floe_dbt_compliance.harness import RuntimeHarness, close_harness
from floe_dbt_compliance.observe import Observation
from floe_dbt_compliance.oracle.store import ReferenceStore
from floe_dbt_compliance.projects import ProjectCopy
from floe_dbt_compliance.recorder import Recorder, observe_call
from floe_dbt_compliance.scenarios import Scenario
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.warehouse import Warehouse, package_version

__all__ = [
    "DEFAULT_REFERENCE",
    "DbtCoreReference",
    "Oracle",
    "Reference",
    "ReferenceUnavailable",
    "RuntimeReference",
]

DEFAULT_REFERENCE = "dbt-core"
Expected = list[Observation | None]


class Reference(Protocol):
    """Runs a scenario's steps on a fresh copy and observes each."""

    slug: str
    description: str
    asynchronous: bool

    def observe(self, scenario: Scenario, copy: ProjectCopy) -> Expected:
        """One observation per step (``None`` for an edit)."""

    def close(self) -> None:
        """Release what the reference holds."""


@functools.cache
def _observer_digest() -> str:
    """What the stored outcomes depend on besides dbt: the code that observes them.

    A lasting store (``--floe-dbt-reference-cache``) outlives a kit upgrade; an
    entry written by other observing code is then never read.
    """
    kit = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(
        [
            *kit.joinpath("oracle").glob("*.py"),
            *kit.joinpath("warehouse").glob("*.py"),
            kit / "observe.py",
        ]
    ):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class _Worker:
    """The dbt-core worker process: started on first use, one request at a time."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.log_path = workspace / "dbt-core-worker.log"
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self._lock = threading.Lock()

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self.workspace.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("a", encoding="utf-8")
            env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            self._process = subprocess.Popen(
                [sys.executable, "-m", "floe_dbt_compliance.oracle.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
                cwd=self.workspace,
                env=env,
            )
        return self._process

    def ask(self, request: dict[str, Any]) -> Any:
        with self._lock:
            process = self._started()
            assert process.stdin is not None
            assert process.stdout is not None
            process_error: OSError | None = None
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
                line = process.stdout.readline()
            except OSError as exc:
                line, process_error = "", exc
            if not line:
                raise ReferenceUnavailable(
                    f"the dbt-core reference worker stopped (exit {process.poll()}, "
                    f"{process_error or 'no answer'}); its log: {self.log_path}"
                )
        answer = json.loads(line)
        if "error" in answer:
            raise ReferenceUnavailable(f"plain dbt-core could not run it: {answer['error']}")
        return answer["observations"]

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                assert process.stdin is not None
                process.stdin.close()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:  # pragma: no cover - a hung dbt
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if self._log is not None:
                self._log.close()
                self._log = None


class DbtCoreReference:
    """Plain dbt-core, invoked by the kit itself in a subprocess (the default reference)."""

    asynchronous = True

    def __init__(self, workspace: Path, warehouse: Warehouse | None = None) -> None:
        warehouse = warehouse or Warehouse.duckdb()
        dbt, adapter = package_version("dbt-core"), package_version(warehouse.adapter)
        self.available = dbt is not None and adapter is not None
        self.adapter = warehouse.adapter
        self.slug = f"dbt-core-{dbt}"
        self.description = (
            f"plain dbt-core {dbt} ({warehouse.adapter} {adapter}), a bare dbtRunner run by the "
            "kit in a subprocess"
        )
        self._worker = _Worker(workspace)

    def observe(self, scenario: Scenario, copy: ProjectCopy) -> Expected:
        """Run the scenario in the worker process."""
        if not self.available:
            raise ReferenceUnavailable(
                f"plain dbt-core with {self.adapter} is not installed here, so the kit has no "
                f"reference: install floe-dbt[local] (dbt-core and dbt-duckdb; "
                "floe-dbt[postgres] adds dbt-postgres), or name a reference runtime with "
                "--floe-dbt-reference"
            )
        answer = self._worker.ask(
            {
                "project_dir": str(copy.project_dir),
                "profiles_dir": str(copy.profiles_dir),
                "location": copy.location().as_json(),
                "target": copy.target,
                "steps": [step.as_json() for step in scenario.steps],
            }
        )
        return [None if item is None else Observation.from_json(item) for item in answer]

    def close(self) -> None:
        """Stop the worker process."""
        self._worker.close()


class RuntimeReference:
    """A registered runtime as the reference (``--floe-dbt-reference NAME``), run in-process."""

    asynchronous = False

    def __init__(
        self, name: str, build: Callable[[ProjectCopy], RuntimeHarness], spans: SpanRecorder
    ) -> None:
        self.slug = f"runtime-{name}"
        self.description = f"the runtime {name!r} (--floe-dbt-reference {name})"
        self._build = build
        self._spans = spans

    def observe(self, scenario: Scenario, copy: ProjectCopy) -> Expected:
        """Run the scenario's steps on the reference runtime, observed like the one under test."""
        harness = self._build(copy)
        try:
            recorder = Recorder(harness, self._spans, location=copy.location(harness.database_path))
            found: Expected = []
            for step in scenario.steps:
                call = recorder.perform(step)
                found.append(None if call is None else observe_call(call))
            return found
        finally:
            close_harness(harness)

    def close(self) -> None:
        """Nothing to release: each scenario's harness is closed after it."""


class Oracle:
    """Expected observations per scenario, memoised, computed in the background when it can.

    Args:
        reference: The reference.
        store: Where outcomes are memoised.
        workspace: Where the reference's project copies go.
        warehouse: The session's warehouse (the reference runs where the runtime runs).
    """

    def __init__(
        self,
        reference: Reference,
        store: ReferenceStore,
        workspace: Path,
        warehouse: Warehouse | None = None,
    ) -> None:
        self.reference = reference
        self.store = store
        self.workspace = workspace
        self.warehouse = warehouse or Warehouse.duckdb()
        self._futures: dict[str, Future[Expected]] = {}
        self._executor = (
            ThreadPoolExecutor(1, "floe-dbt-reference") if reference.asynchronous else None
        )
        self._lock = threading.Lock()

    def _run(self, scenario: Scenario, read: Callable[[ProjectCopy, Expected], Any]) -> Any:
        """Run ``scenario`` on the reference on a fresh copy; ``read`` what it left."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(dir=self.workspace))
        copy = scenario.copy(directory, self.warehouse)
        try:
            return read(copy, self.reference.observe(scenario, copy))
        finally:
            self.warehouse.release(copy.schema)

    def _compute(self, scenario: Scenario) -> Any:
        return self._run(
            scenario,
            lambda _copy, found: [None if item is None else item.as_json() for item in found],
        )

    def remembered(
        self,
        what: str,
        scenario: Scenario,
        read: Callable[[ProjectCopy, Expected], Any],
    ) -> Any:
        """What ``read`` makes of the reference's run of ``scenario``, memoised as outcomes are.

        Args:
            what: What it is (part of the store's key).
            scenario: The scenario the reference runs on a fresh copy.
            read: Reads the copy and the observations, while the copy exists;
                returns JSON-serialisable data.
        """
        key = f"{self._where()}/{what}-{scenario.key()}"
        return self.store.fetch(key.replace("/", "--"), lambda: self._run(scenario, read))

    def _where(self) -> str:
        return f"{self.reference.slug}/{self.warehouse.slug}/kit-{_observer_digest()}"

    def _load(self, scenario: Scenario) -> Expected:
        key = f"{self._where()}/{scenario.key()}"
        stored = self.store.fetch(key.replace("/", "--"), lambda: self._compute(scenario))
        return [None if item is None else Observation.from_json(item) for item in stored]

    def expected(self, scenario: Scenario) -> Future[Expected]:
        """The reference's observations of ``scenario``, one per step (``None`` for edits)."""
        key = scenario.key()
        with self._lock:
            if key in self._futures:
                return self._futures[key]
            if self._executor is not None:
                future = self._executor.submit(self._load, scenario)
            else:
                future = Future()
                try:
                    future.set_result(self._load(scenario))
                except Exception as exc:
                    future.set_exception(exc)
            self._futures[key] = future
            return future

    def close(self) -> None:
        """Stop the background work and the reference."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self.reference.close()
