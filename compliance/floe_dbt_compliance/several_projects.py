"""One runtime instance serving several projects in turn: the sequence the ``projects`` rows read.

In production one deployment of a runtime serves several dbt projects (the
code locations of a Dagster instance, the legs of a CI matrix), and its
default cache directory is shared by all of them. The kit brings three fresh
copies up through one instance, interleaved (:data:`ORDER`):

* ``healthy``;
* ``ephemeral``, another project;
* ``healthy`` again as another checkout of the same project: the same name
  in another directory, edited first (a new model, and ``customers`` keeps
  gold customers only, so that a relationships test fails there).

The first copy's harness comes from the kit's hook as usual; the others
are served by :meth:`RuntimeHarness.instance_for
<floe_dbt_compliance.harness.RuntimeHarness.instance_for>` (the same
instance, unless the harness says how its deployment serves another
project). Each project's calls are a scenario the reference runs alone, on
its own copy. After every call the kit asks ``get_manifest()`` and
``get_run_results()`` of every project served so far; at the end, with an
artifact cache, ``get_manifest()`` of each project twice (the second must
be a hit).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_dbt_compliance.harness import RuntimeHarness
from floe_dbt_compliance.observe import manifest_ids, node_statuses
from floe_dbt_compliance.oracle.reference import Oracle
from floe_dbt_compliance.projects import ProjectCopy, fixture_dir
from floe_dbt_compliance.recorder import Call, Recorder
from floe_dbt_compliance.runs import Disagreement, Finding, ScenarioRun, ScenarioRuns
from floe_dbt_compliance.scenarios import Scenario, edit, step
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.warehouse import Warehouse

__all__ = ["ORDER", "PROJECTS", "Answer", "SharedInstance"]

_ALL = (step("compile", "compile_project"), step("run", "run_models"), step("test", "run_tests"))
HEALTHY = Scenario.on_fixture(
    "shared-healthy", "healthy", *_ALL, step("run_marts", "run_models", select="tag:mart")
)
EPHEMERAL = Scenario.on_fixture("shared-ephemeral", "ephemeral", *_ALL)
_CUSTOMERS = (fixture_dir("healthy") / "models" / "marts" / "customers.sql").read_text("utf-8")
_GOLD_ONLY = _CUSTOMERS.replace("group by", "where c.tier = 'gold'\ngroup by")
_GOLD_ORDERS = (
    "select o.* from {{ ref('fct_orders') }} as o join {{ ref('customers') }} using (customer_id)\n"
)
CHECKOUT = Scenario.on_fixture(
    "shared-checkout",
    "healthy",
    edit("gold_only", "models/marts/customers.sql", _GOLD_ONLY),
    edit("gold_orders", "models/marts/gold_orders.sql", _GOLD_ORDERS),
    *_ALL,
)
PROJECTS = (HEALTHY, EPHEMERAL, CHECKOUT)
#: The calls, in the order one instance serves them.
ORDER: tuple[tuple[Scenario, str], ...] = (
    (HEALTHY, "compile"),
    (EPHEMERAL, "compile"),
    (CHECKOUT, "compile"),
    (HEALTHY, "run"),
    (CHECKOUT, "run"),
    (EPHEMERAL, "run"),
    (EPHEMERAL, "test"),
    (HEALTHY, "test"),
    (CHECKOUT, "test"),
    (HEALTHY, "run_marts"),
)


@dataclass(frozen=True)
class Answer:
    """What ``get_manifest()``/``get_run_results()`` of one project said after one call.

    Attributes:
        after: The call (``<scenario>: <label>``) after which the project was asked.
        project: The project's scenario.
        latest: The project's latest call (its step key).
        manifest: The manifest's node ids, or what was raised.
        nodes: The run results' node statuses, or what was raised.
    """

    after: str
    project: Scenario
    latest: str
    manifest: list[str] | str | None
    nodes: dict[str, str] | str | None


def _asked(function: Callable[[], Any], read: Callable[[Any], Any]) -> Any:
    try:
        return read(function())
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"


class SharedInstance:
    """Drives :data:`ORDER` through one instance, and holds what the checks read.

    Args:
        build: Builds the runtime's harness on the first project's copy.
        oracle: The reference's observations.
        spans: The kit's span recorder.
        workspace: Makes a fresh directory for a copy.
        warehouse: The session's warehouse.
    """

    def __init__(
        self,
        build: Callable[[ProjectCopy], RuntimeHarness],
        oracle: Oracle,
        spans: SpanRecorder,
        workspace: Callable[[str], Path],
        warehouse: Warehouse,
    ) -> None:
        self._build = build
        self._first: RuntimeHarness | None = None
        self._runs = ScenarioRuns(self.served, oracle, spans, workspace, warehouse)
        self.answers: list[Answer] = []
        #: The second round's ``get_manifest()`` of each usable project (artifact cache only).
        self.hits: dict[str, Call] = {}
        self._performed = False
        self._stopped: BaseException | None = None

    def served(self, copy: ProjectCopy) -> RuntimeHarness:
        """The harness of a project: the runtime's for the first, its instance for the others."""
        if self._first is None:
            self._first = self._build(copy)
            return self._first
        first = self._first
        return dataclasses.replace(
            first,
            plugin=first.instance_for(copy),
            project_dir=copy.project_dir,
            profiles_dir=copy.profiles_dir,
            target=copy.target,
            database_path=None if first.database_path is None else copy.database_path,
            new_instance=None,
            close=None,
            serve_project=None,
        )

    def run(self, scenario: Scenario) -> ScenarioRun:
        """The run of one project (started on first use)."""
        return self._runs(scenario)

    def perform(self) -> None:
        """Make every call of :data:`ORDER` once, asking every project after each.

        What stopped it (a harness that cannot serve another project says
        *n/a*) stops every later check that asks, rather than letting one
        read half a sequence.
        """
        if self._stopped is not None:
            raise self._stopped
        if self._performed:
            return
        self._performed = True
        try:
            self._perform()
        except BaseException as exc:
            self._stopped = exc
            raise

    def _perform(self) -> None:
        latest: dict[str, str] = {}
        for scenario, key in ORDER:
            call = self.run(scenario).call(key)
            latest[scenario.name] = key
            after = f"{scenario.name}: {call.label}"
            self.answers += [
                self._ask(project, latest[project.name], after)
                for project in PROJECTS
                if project.name in latest
            ]
        if self._first is not None and self._first.cache_root is not None:
            self._twice()

    def _ask(self, project: Scenario, latest: str, after: str) -> Answer:
        harness = self.run(project).harness
        plugin, project_dir = harness.plugin, harness.project_dir
        return Answer(
            after=after,
            project=project,
            latest=latest,
            manifest=_asked(lambda: plugin.get_manifest(project_dir), manifest_ids),
            nodes=_asked(lambda: plugin.get_run_results(project_dir), node_statuses),
        )

    def _twice(self) -> None:
        """``get_manifest()`` of every usable project, then again: the second round are hits."""
        for again in (False, True):
            for project in self.usable():
                run = self.run(project)
                reader = Recorder(run.harness, run.recorder.spans, warehouse=False, artifacts=False)
                call = reader.call(
                    f"get_manifest() of {project.name}{' again' if again else ''}",
                    functools.partial(run.harness.plugin.get_manifest, run.harness.project_dir),
                )
                if again:
                    self.hits[project.name] = call

    def usable(self) -> list[Scenario]:
        """The projects whose every call returned (a raised one is ``projects.agree``'s finding)."""
        return [
            project
            for project in PROJECTS
            if all(call.error is None for call in self.run(project).recorder.calls)
        ]

    def disagreement(self) -> Disagreement | None:
        """Every call that ended otherwise than on the reference, in the order served."""
        findings: list[Finding] = []
        reference = ""
        for scenario, key in ORDER:
            run = self.run(scenario)
            reference = run.reference
            finding = run.finding(key)
            if finding is not None:
                findings.append(finding)
        if not findings:
            return None
        served = "; ".join(f"{scenario.name}: {key}" for scenario, key in ORDER)
        return Disagreement(findings, reference, f"  all on one instance, in this order: {served}")

    def close(self) -> None:
        """Give the copies' places in the warehouse back."""
        self._runs.close()
