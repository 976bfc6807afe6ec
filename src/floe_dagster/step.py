"""One Dagster step of dbt assets: one runtime invocation per kind, each node reported.

A step gets the asset keys and check keys Dagster selected and runs them
with as few runtime calls as dbt's order allows: ``seed`` for the selected
seeds, ``snapshot`` for the snapshots, ``run_models`` for the models (one
call each; more only when a snapshot sits between two selected models), then
one ``run_tests`` for the selected checks. Every node is reported from the
invocation's ``run_results.json``: a materialisation per node dbt built, a
check result per test dbt ran.

A node dbt did not build fails the step *after* every other result is
reported, so the other models of the step count as materialised and
Dagster skips the steps downstream. Within the step, a node whose upstream
failed in an earlier invocation is not handed to dbt (dbt would skip it
within one invocation; across two, it is this module's job), and neither is
a test of a node that did not build.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
)

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_core.vocabulary import RUN, SEED, SNAPSHOT, TEST, command_for_resource_type
from floe_dagster.dbt_graph import DbtAssetNode
from floe_dagster.dbt_tests import DbtCheckNode
from floe_dagster.run_report import NodeOutcome, RunReport, check_verdict
from floe_dagster.selection import union_selector

__all__ = ["DbtProjectLocation", "DbtStep", "execute_step"]

# The order invocations are tried in: seeds feed snapshots and models.
_KINDS = tuple(kind for command in (SEED, SNAPSHOT, RUN) for kind in command.resource_types)
# dbt test runs data tests and unit tests alike.
_TEST_KINDS = TEST.resource_types
StepEvent = MaterializeResult[None] | AssetCheckResult
StepContext = AssetExecutionContext | AssetCheckExecutionContext


@dataclass(frozen=True)
class DbtProjectLocation:
    """Where the assets' dbt project is, as the runtime is told on every call.

    ``pool`` is the Dagster concurrency pool of every dbt step, if any.
    """

    project_dir: Path
    profiles_dir: Path
    target: str
    pool: str | None = None


@dataclass(frozen=True)
class DbtStep:
    """What one multi-asset's step needs at run time, captured when the definitions load.

    Attributes:
        name: The step (op) name.
        project: The project the runtime runs.
        nodes: The step's materialisable nodes, by ``unique_id``.
        graph: Every asset node of the project, by ``unique_id`` (for upstreams).
        checks: The step's checks, by test ``unique_id``.
        keys: Every asset node's key, by ``unique_id``.
        everything: Per kind (``model``, ``seed``, ``snapshot``, ``test``),
            every node of the manifest a selector-less command would run.
    """

    name: str
    project: DbtProjectLocation
    nodes: Mapping[str, DbtAssetNode]
    graph: Mapping[str, DbtAssetNode]
    checks: Mapping[str, DbtCheckNode]
    keys: Mapping[str, AssetKey]
    everything: Mapping[str, frozenset[str]]
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    def ancestors(self, unique_id: str) -> frozenset[str]:
        """Every asset upstream of a node, transitively (memoised; no recursion limit)."""
        pending = [unique_id]
        while pending:
            current = pending[-1]
            if current in self._ancestors:
                pending.pop()
                continue
            parents = self._parents(current)
            missing = [parent for parent in parents if parent not in self._ancestors]
            if missing:
                pending.extend(missing)
                continue
            collected: set[str] = set(parents)
            for parent in parents:
                collected |= self._ancestors[parent]
            self._ancestors[current] = frozenset(collected)
            pending.pop()
        return self._ancestors[unique_id]

    def _parents(self, unique_id: str) -> tuple[str, ...]:
        node = self.graph.get(unique_id)
        return node.upstream if node else ()


@dataclass
class _Ledger:
    """What went wrong in a step, said at its end."""

    problems: list[str] = field(default_factory=list)
    not_built: set[str] = field(default_factory=set)

    def fail(self, unique_id: str, reason: str) -> None:
        self.not_built.add(unique_id)
        self.problems.append(f"{unique_id} {reason}")


def execute_step(
    step: DbtStep, context: StepContext, selected_assets: Set[AssetKey]
) -> Iterator[StepEvent]:
    """Materialise the selected nodes and evaluate the selected checks of one step.

    Args:
        step: The step's nodes and checks.
        context: Dagster's context (selected checks, log, the ``dbt_runtime`` resource).
        selected_assets: The asset keys Dagster selected (none for a checks-only step).

    Yields:
        A ``MaterializeResult`` per node dbt built, an ``AssetCheckResult``
        per test dbt ran.

    Raises:
        Failure: A selected node was not built or a selected test did not
            run; the message says which and why, in dbt's words.
    """
    # create_assets_from_artifacts checked that the bound resource is a DBTPlugin.
    runtime: DBTPlugin = context.resources.dbt_runtime
    runtime_type = str(runtime.get_runtime_metadata().get("type", type(runtime).__name__))
    key_to_id = {step.keys[unique_id]: unique_id for unique_id in step.nodes}
    selected = {key_to_id[key] for key in selected_assets if key in key_to_id}
    ledger = _Ledger()
    for kind, batch in _invocations(step, selected):
        blocked = {
            unique_id: sorted(step.ancestors(unique_id) & ledger.not_built) for unique_id in batch
        }
        for unique_id, culprits in sorted(blocked.items()):
            if culprits:
                ledger.fail(unique_id, f"was not run: upstream {', '.join(culprits)} did not build")
        to_run = {unique_id for unique_id, culprits in blocked.items() if not culprits}
        if to_run:
            report = _invoke(step, runtime, runtime_type, kind, to_run, context)
            yield from _materialisations(step, report, to_run, ledger)
    wanted_checks = set(context.selected_asset_check_keys)
    yield from _checks(step, runtime, runtime_type, wanted_checks, ledger, context)
    if ledger.problems:
        raise Failure(
            description=(
                f"dbt through the {runtime_type} runtime did not complete step {step.name}:\n  "
                + "\n  ".join(ledger.problems)
            ),
            metadata={"dbt/not_built": sorted(ledger.not_built), "dbt/runtime_type": runtime_type},
        )


def _invocations(step: DbtStep, selected: Set[str]) -> Iterator[tuple[str, set[str]]]:
    """Group the selected nodes into as few invocations as dbt's order allows.

    A node joins an invocation of its kind once every selected node upstream
    of it is in an earlier invocation or in this one.
    """
    remaining = set(selected)
    while remaining:
        for kind in _KINDS:
            batch = {uid for uid in remaining if step.nodes[uid].resource_type == kind}
            shrinking = True
            while shrinking:
                waiting = {uid for uid in batch if (step.ancestors(uid) & remaining) - batch}
                shrinking = bool(waiting)
                batch -= waiting
            if batch:
                remaining -= batch
                yield kind, batch


def _invoke(
    step: DbtStep,
    runtime: DBTPlugin,
    runtime_type: str,
    kind: str,
    unique_ids: Set[str],
    context: StepContext,
) -> RunReport:
    project = step.project
    selectors = {uid: cast(str, step.nodes[uid].selector) for uid in unique_ids}
    select = union_selector(unique_ids, selectors, everything=step.everything, kinds=(kind,))
    command = command_for_resource_type(kind)
    context.log.info(
        "dbt %s --select %s through the %s runtime", command.name, select, runtime_type
    )
    # run_models, seed or snapshot (the latter two of the lifecycle capability).
    method = getattr(runtime, command.method)
    args = (project.project_dir, project.profiles_dir, project.target)
    result: DBTRunResult = method(*args, select=select)
    return RunReport(result, runtime_type)


def _materialisations(
    step: DbtStep, report: RunReport, unique_ids: Set[str], ledger: _Ledger
) -> Iterator[MaterializeResult[None]]:
    # Dagster wants a multi-asset's outputs in topological order; a node has
    # more ancestors than any node upstream of it.
    for unique_id in sorted(unique_ids, key=lambda uid: (len(step.ancestors(uid)), uid)):
        node = step.nodes[unique_id]
        outcome = report.outcomes.get(unique_id)
        if outcome is not None and outcome.built:
            yield MaterializeResult(
                asset_key=step.keys[unique_id],
                metadata=report.materialisation_metadata(node, outcome),
            )
        else:
            ledger.fail(unique_id, _why_not_built(outcome))


def _why_not_built(outcome: NodeOutcome | None) -> str:
    if outcome is None:
        return (
            "was not in dbt's run results: the manifest these definitions were loaded "
            "from no longer matches the project; prepare it again (floe compile) and "
            "reload the code location"
        )
    if outcome.status == "skipped":
        return "was skipped by dbt (a node upstream of it failed)"
    return f"failed ({outcome.status}): {outcome.message or 'dbt gave no message'}"


def _checks(
    step: DbtStep,
    runtime: DBTPlugin,
    runtime_type: str,
    wanted: Set[AssetCheckKey],
    ledger: _Ledger,
    context: StepContext,
) -> Iterator[AssetCheckResult]:
    selected: dict[str, DbtCheckNode] = {}
    for check in step.checks.values():
        if AssetCheckKey(step.keys[check.attached_to], check.check_name) not in wanted:
            continue
        unbuilt = sorted(set(check.parents) & ledger.not_built)
        if unbuilt:
            ledger.problems.append(
                f"{check.unique_id} was not run: {', '.join(unbuilt)} did not build"
            )
            continue
        selected[check.unique_id] = check
    if not selected:
        return
    select = union_selector(
        selected,
        {uid: check.selector for uid, check in selected.items()},
        everything=step.everything,
        kinds=_TEST_KINDS,
    )
    context.log.info("dbt %s --select %s through the %s runtime", TEST.name, select, runtime_type)
    project = step.project
    report = RunReport(
        runtime.run_tests(project.project_dir, project.profiles_dir, project.target, select=select),
        runtime_type,
    )
    for unique_id in sorted(selected):
        check = selected[unique_id]
        outcome = report.outcomes.get(unique_id)
        if outcome is None or not outcome.test_ran:
            ledger.problems.append(f"{unique_id} {_why_not_run(outcome)}")
            continue
        passed, severity = check_verdict(outcome)
        yield AssetCheckResult(
            asset_key=step.keys[check.attached_to],
            check_name=check.check_name,
            passed=passed,
            severity=severity,
            metadata=report.check_metadata(check, outcome),
            description=None if passed else outcome.message,
        )


def _why_not_run(outcome: NodeOutcome | None) -> str:
    if outcome is None:
        return (
            "was not in dbt's test results: the manifest these definitions were loaded from "
            "no longer matches the project; prepare it again (floe compile) and reload"
        )
    return f"did not run ({outcome.status}): {outcome.message or 'dbt gave no message'}"
