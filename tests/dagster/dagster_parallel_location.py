"""A code location for the multiprocess test: every step process rebuilds it from the environment.

Dagster's multiprocess executor runs each step in a fresh process that imports
this module and calls :func:`parallel_job`. There, spans go to a JSON-lines
file per process (an in-memory exporter would die with the process), and the
runtime is a :class:`RendezvousRuntime`: each ``run_models`` waits until
another one has started, so the run can only succeed if Dagster really ran two
dbt steps at the same time. The project is split by dbt group into three
independent steps (one model each).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import Definitions, JobDefinition, define_asset_job
from dagster_fakes import ScriptedRuntime, manifest_of, model_node
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from floe_dagster import DagsterOrchestratorPlugin

WORKDIR_ENV = "FLOE_TEST_PARALLEL_DIR"
PARENT_PID_ENV = "FLOE_TEST_PARALLEL_PARENT_PID"
MAX_CONCURRENT = 2
GROUPS = ("alpha", "beta", "gamma")
RENDEZVOUS_TIMEOUT_SECONDS = 120.0


class RendezvousRuntime(ScriptedRuntime):
    """A parallel-capable runtime whose runs wait for a second concurrent run."""

    runtime_type = "rendezvous"

    def wait_for_company(self, select: str | None) -> None:
        (self.workdir / f"started-{os.getpid()}").touch()
        deadline = time.monotonic() + RENDEZVOUS_TIMEOUT_SECONDS
        while len(list(self.workdir.glob("started-*"))) < MAX_CONCURRENT:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run of {select} never overlapped another run")
            time.sleep(0.02)


def _span_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


def _export_spans_to_file(directory: Path) -> None:
    provider = TracerProvider()
    out = (directory / f"spans-{os.getpid()}.jsonl").open("a", encoding="utf-8")
    exporter = ConsoleSpanExporter(out=out, formatter=_span_line)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def manifest() -> dict[str, object]:
    """Three independent models, each in its own dbt group."""
    return manifest_of(
        *(
            model_node(f"{group}_model", config={"materialized": "table", "group": group})
            for group in GROUPS
        )
    )


def parallel_job() -> JobDefinition:
    """Build the job of three independent dbt steps on a parallel runtime."""
    workdir = Path(os.environ[WORKDIR_ENV])
    if os.environ.get(PARENT_PID_ENV) != str(os.getpid()):
        _export_spans_to_file(workdir)
    runtime = RendezvousRuntime(workdir, manifest(), parallel=True)
    plugin = DagsterOrchestratorPlugin(
        project_dir=workdir, max_concurrent=MAX_CONCURRENT, split_by="group"
    )
    defs = Definitions(
        assets=plugin.create_assets_from_artifacts({"manifest": manifest()}, runtime),
        jobs=[define_asset_job("all_dbt_steps")],
        executor=plugin.executor_for(runtime),
    )
    return defs.resolve_job_def("all_dbt_steps")
