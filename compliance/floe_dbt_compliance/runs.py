"""A scenario run on the runtime under test, beside the reference's, and their agreement.

A :class:`ScenarioRun` performs a scenario's steps on one harness lazily (a
check costs only the steps up to the last one it reads) and holds the
reference's observations of the same scenario. :func:`agree` compares the
two and fails the check with a :class:`Disagreement` that names the
scenario, the call and every difference, so a vendor can reproduce it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from floe_dbt_compliance.errors import CheckFailed, ReferenceUnavailable, ScenarioError
from floe_dbt_compliance.harness import RuntimeHarness
from floe_dbt_compliance.leaks import redact
from floe_dbt_compliance.observe import ASPECTS, Difference, Observation, compare, summarise
from floe_dbt_compliance.oracle.reference import Expected, Oracle
from floe_dbt_compliance.projects import ProjectCopy
from floe_dbt_compliance.recorder import NOT_READ, Call, Recorder, observe_call
from floe_dbt_compliance.scenarios import Scenario
from floe_dbt_compliance.spans import SpanRecorder
from floe_dbt_compliance.status import KitSkip, Status
from floe_dbt_compliance.warehouse import Warehouse

__all__ = ["Disagreement", "Finding", "ScenarioRun", "ScenarioRuns", "agree"]


@dataclass(frozen=True)
class Finding:
    """The differences found at one step of one scenario."""

    scenario: str
    step: str
    call: str
    steps_so_far: tuple[str, ...]
    differences: tuple[Difference, ...]

    def __str__(self) -> str:
        return (
            f"scenario {self.scenario}, step {self.step} `{self.call}`: "
            f"{summarise(list(self.differences))}"
        )

    def as_json(self) -> dict[str, Any]:
        """For the certificate."""
        return {
            "scenario": self.scenario,
            "step": self.step,
            "call": self.call,
            "steps": list(self.steps_so_far),
            "differences": [difference.as_json() for difference in self.differences],
        }


class Disagreement(CheckFailed):
    """The runtime under test and the reference ended differently; carries the findings."""

    def __init__(self, findings: Sequence[Finding], reference: str, note: str = "") -> None:
        self.findings = list(findings)
        self.reference = reference
        lines = [f"the runtime disagrees with {reference}:"]
        lines += [f"  {finding}" for finding in self.findings]
        first = self.findings[0]
        lines.append(
            f"  to reproduce: a fresh copy of {first.scenario}'s project, then "
            + "; ".join(first.steps_so_far)
        )
        if note:
            lines.append(note)
        super().__init__("\n".join(lines))

    def as_json(self) -> str:
        """The findings, for the report."""
        return json.dumps([finding.as_json() for finding in self.findings], default=str)


class ScenarioRun:
    """One scenario on one harness, performed lazily, with the reference's expectations.

    Args:
        scenario: The scenario.
        harness: The runtime on a fresh copy of the scenario's project.
        recorder: Records each call (options: latest artifacts, logs ...).
        expected: The reference's observations (a future: the reference may
            still be running).
        reference: How the reference is named in messages.
    """

    def __init__(
        self,
        scenario: Scenario,
        harness: RuntimeHarness,
        recorder: Recorder,
        expected: Future[Expected],
        reference: str,
    ) -> None:
        self.scenario = scenario
        self.harness = harness
        self.recorder = recorder
        self.reference = reference
        self._expected = expected
        self._calls: dict[str, Call] = {}
        self._done = 0
        self.before: tuple[Any, Any] = (NOT_READ, NOT_READ)

    def call(self, key: str) -> Call:
        """The call of step ``key``, performing the steps up to it first."""
        target = self.scenario.index(key)
        while self._done <= target:
            step = self.scenario.steps[self._done]
            if self._done == 0 and self.recorder.latest:
                self._read_before()
            self._done += 1
            call = self.recorder.perform(step)
            if call is not None:
                self._calls[step.key] = call
        found = self._calls.get(key)
        if found is None:
            raise ScenarioError(
                f"step {key!r} of scenario {self.scenario.name!r} is an edit, not a call"
            )
        return found

    def _read_before(self) -> None:
        plugin, project_dir = self.harness.plugin, self.harness.project_dir
        self.before = (
            _answer(lambda: plugin.get_manifest(project_dir)),
            _answer(lambda: plugin.get_run_results(project_dir)),
        )

    def calls(self, keys: Iterable[str] | None = None) -> list[Call]:
        """The calls of these steps (every call step by default), performed as needed."""
        wanted = keys if keys is not None else [s.key for s in self.scenario.steps if s.command]
        return [self.call(key) for key in wanted]

    def expected(self, key: str) -> Observation:
        """The reference's observation of step ``key``.

        Raises:
            KitSkip: The reference could not run the scenario: the row is
                skipped (the certificate says "incomplete"), never passed.
        """
        try:
            found = self._expected.result()[self.scenario.index(key)]
        except ReferenceUnavailable as exc:
            raise KitSkip(
                Status.SKIPPED, f"no reference outcome for {self.scenario.name}: {exc}"
            ) from exc
        assert found is not None, f"step {key!r} is an edit"
        return found

    def finding(self, key: str, aspects: Iterable[str] = ASPECTS) -> Finding | None:
        """The differences at step ``key``, or ``None`` when the runtime agrees."""
        call = self.call(key)
        observed = observe_call(call)
        # The certificate quotes the runtime's message: never a secret the harness named.
        observed = replace(observed, message=redact(observed.message, self.harness.secrets))
        differences = compare(self.expected(key), observed, self._aspects(aspects))
        if not differences:
            return None
        position = self.scenario.index(key)
        return Finding(
            self.scenario.name,
            key,
            call.label,
            tuple(step.label for step in self.scenario.steps[: position + 1]),
            tuple(differences),
        )

    def _aspects(self, aspects: Iterable[str]) -> list[str]:
        return [a for a in aspects if a != "warehouse" or self.recorder.warehouse]


def _answer(function: Callable[[], Any]) -> Any:
    try:
        return function()
    except Exception as exc:
        return exc


def agree(
    checks: Iterable[tuple[ScenarioRun, Sequence[str]]], aspects: Iterable[str] = ASPECTS
) -> None:
    """Fail with a :class:`Disagreement` unless every listed step agrees with the reference.

    Args:
        checks: ``(run, step keys)`` pairs.
        aspects: What to compare (see :data:`~floe_dbt_compliance.observe.ASPECTS`);
            the warehouse only where the harness can observe it.
    """
    wanted = list(aspects)
    findings: list[Finding] = []
    reference = ""
    for run, keys in checks:
        reference = run.reference
        for key in keys:
            finding = run.finding(key, wanted)
            if finding is not None:
                findings.append(finding)
    if findings:
        raise Disagreement(findings, reference)


class ScenarioRuns:
    """Builds one :class:`ScenarioRun` per scenario for one runtime (memoised by name).

    Args:
        build: Builds the runtime's harness on a project copy.
        oracle: The reference's observations.
        spans: The kit's span recorder.
        workspace: Makes a fresh directory for a copy.
        warehouse: The session's warehouse (each copy gets its own place in it).
    """

    def __init__(
        self,
        build: Callable[[ProjectCopy], RuntimeHarness],
        oracle: Oracle,
        spans: SpanRecorder,
        workspace: Callable[[str], Path],
        warehouse: Warehouse | None = None,
    ) -> None:
        self._build = build
        self.oracle = oracle
        self._spans = spans
        self._workspace = workspace
        self.warehouse = warehouse or Warehouse.duckdb()
        self._runs: dict[str, ScenarioRun] = {}
        self._copies: list[ProjectCopy] = []

    def __call__(self, scenario: Scenario, **record: bool) -> ScenarioRun:
        """The run of ``scenario``, built on first use (the reference starts first).

        Args:
            scenario: The scenario.
            **record: :class:`~floe_dbt_compliance.recorder.Recorder` options
                (``latest``, ``logs`` ...), taken from the first request.
        """
        if scenario.name not in self._runs:
            expected = self.oracle.expected(scenario)
            copy = scenario.copy(self._workspace(scenario.name), self.warehouse)
            self._copies.append(copy)
            harness = self._build(copy)
            location = copy.location(harness.database_path)
            recorder = Recorder(harness, self._spans, location=location, **record)
            self._runs[scenario.name] = ScenarioRun(
                scenario, harness, recorder, expected, self.oracle.reference.description
            )
        return self._runs[scenario.name]

    def close(self) -> None:
        """Give the copies' places in the warehouse back (their scratch schemas are dropped)."""
        while self._copies:
            self.warehouse.release(self._copies.pop().schema)
