"""Generated projects suite (REQ-086, REQ-094): projects nobody wrote by hand.

``--floe-dbt-examples N`` projects (see :mod:`floe_dbt_compliance.generated`)
are drawn with hypothesis from ``--floe-dbt-seed S`` (random unless given,
and written in the certificate), each run on the runtime and on the
reference; every call must agree. A disagreement is shrunk to a minimal
project, which the failure prints and the kit writes under the report
directory, with the command that replays it. Shrinking stops after a budget
of extra runs, so a broken runtime is refused in bounded time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, reject, seed, settings

from floe_dbt_compliance.fixtures import HarnessFactory
from floe_dbt_compliance.generated import (
    ProjectSpec,
    hypothesis_storage,
    projects,
    write_project,
)
from floe_dbt_compliance.kit import ComplianceKit
from floe_dbt_compliance.oracle.reference import Oracle
from floe_dbt_compliance.requirements import requirement
from floe_dbt_compliance.runs import Disagreement, ScenarioRuns, agree
from floe_dbt_compliance.scenarios import Scenario
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.status import KitSkip, Status


@requirement("generated.agrees")
def test_generated_projects(
    pytestconfig: pytest.Config,
    floe_dbt_kit: ComplianceKit,
    floe_dbt_runtime: str,
    floe_dbt_oracle: Oracle,
    floe_dbt_spans: SpanRecorder,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    examples: int = floe_dbt_kit.oracle["examples"]
    chosen: int = floe_dbt_kit.oracle["seed"]
    # extra projects run while shrinking a disagreement before the smallest found is kept
    shrink: int = floe_dbt_kit.oracle["shrink"]
    if examples == 0:
        raise KitSkip(Status.SKIPPED, "--floe-dbt-examples 0: no generated project was run")
    # Listing -> the project that disagreed: shrinking proposes the same project
    # again and again (draws that change nothing); each is run once.
    failed: dict[str, tuple[Path, Disagreement]] = {}
    agreed: set[str] = set()
    runs_after_failure = [0]
    replay = (
        f"pytest --floe-dbt-compliance --floe-dbt-runtime {floe_dbt_runtime} "
        f"--floe-dbt-requirement {floe_dbt_runtime}:generated.agrees "
        f"--floe-dbt-seed {chosen} --floe-dbt-examples {examples} --floe-dbt-shrink {shrink}"
    )
    reproducer = floe_dbt_kit.report_dir / floe_dbt_runtime / "generated-reproducer"

    def disagreed(listing: str) -> Disagreement:
        source, exc = failed[listing]
        shutil.rmtree(reproducer, ignore_errors=True)
        shutil.copytree(source, reproducer)
        note = (
            f"the smallest generated project found (also in {reproducer}):\n"
            f"{listing}\nreplay: {replay}"
        )
        return Disagreement(exc.findings, exc.reference, note)

    def check(spec: ProjectSpec) -> None:
        listing = spec.listing()
        if listing in agreed:
            return
        if listing not in failed:
            run_project(spec, listing)
        if listing in failed:
            # one place raises: hypothesis tells failures apart by where they are raised
            raise disagreed(listing)

    def run_project(spec: ProjectSpec, listing: str) -> None:
        if failed:
            if runs_after_failure[0] >= shrink:
                reject()  # the budget is spent: keep the smallest disagreement found so far
            runs_after_failure[0] += 1
        source = write_project(spec, tmp_path_factory.mktemp("generated"))
        scenario = Scenario("generated", source, (*spec.setup, *spec.steps))
        warehouse = floe_dbt_oracle.warehouse
        harnesses = HarnessFactory(pytestconfig, floe_dbt_runtime, tmp_path_factory, warehouse)
        runs = ScenarioRuns(
            harnesses,
            floe_dbt_oracle,
            floe_dbt_spans,
            lambda name: tmp_path_factory.mktemp(f"{floe_dbt_runtime}-{name}"),
            warehouse,
        )
        try:
            agree([(runs(scenario), [candidate.key for candidate in spec.steps])])
            agreed.add(listing)
        except Disagreement as exc:
            failed[listing] = (source, exc)
        finally:
            harnesses.close_all()
            runs.close()

    run: Any = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )(seed(chosen)(given(projects())(check)))
    with hypothesis_storage(tmp_path_factory.getbasetemp() / "hypothesis"):
        run()
