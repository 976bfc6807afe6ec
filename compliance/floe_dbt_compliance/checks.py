"""The promises dbt is not the truth for: result fields, latest artifacts, messages, spans.

Each function takes recorded calls and fails the check with the call and
what is wrong. The expected values are the contract's own (the
``DBTRunResult`` docstring, ``floe_core.telemetry``), never a fixture's numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from floe_core.errors import DBTArtifactNotFoundError
from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import SELECTOR_OPTIONS
from floe_dbt_compliance.recorder import NOT_READ, Call

__all__ = [
    "check_latest",
    "check_mentions",
    "check_none_yet",
    "check_result_metadata",
    "check_result_paths",
    "check_result_time",
    "check_span_attributes",
    "check_span_status",
    "check_spans_invoked",
    "fail_all",
]

#: Clock slack between the runtime's measurement of itself and the kit's of the call.
_CLOCK_SLACK_SECONDS = 0.05
# The options a span names as given (floe.dbt.select, floe.dbt.exclude).
SELECTORS = tuple(option.value for option in SELECTOR_OPTIONS)


def fail_all(problems: list[str]) -> None:
    """Fail the check with every problem found, if any."""
    if problems:
        shown = problems[:10] + (
            [f"... and {len(problems) - 10} more"] if len(problems) > 10 else []
        )
        pytest.fail("; ".join(shown), pytrace=False)


def check_result_paths(calls: Iterable[Call]) -> None:
    """``manifest_path``/``run_results_path`` are those files; ``catalog_path`` exists if given."""
    problems = []
    for call in calls:
        result = call.result()
        for path, name in (
            (result.manifest_path, "manifest.json"),
            (result.run_results_path, "run_results.json"),
        ):
            if Path(path).name != name or not Path(path).is_file():
                problems.append(f"{call.label}: {name} path {path} is not an existing {name}")
        catalog = result.catalog_path
        if catalog is not None and not Path(catalog).is_file():
            problems.append(f"{call.label}: catalog_path {catalog} does not exist")
        if call.manifest is None or "nodes" not in call.manifest:
            problems.append(
                f"{call.label}: manifest_path is not a dbt manifest ({call.artifact_error})"
            )
    fail_all(problems)


def check_result_time(calls: Iterable[Call]) -> None:
    """``execution_time_seconds`` is above 0 and at most the call's own wall time."""
    problems = []
    for call in calls:
        seconds = call.result().execution_time_seconds
        if not 0 < seconds <= call.seconds + _CLOCK_SLACK_SECONDS:
            problems.append(
                f"{call.label}: execution_time_seconds is {seconds}, but the call took "
                f"{call.seconds:.3f} s"
            )
    fail_all(problems)


def check_result_metadata(calls: Iterable[Call]) -> None:
    """A result's metadata is JSON-serialisable."""
    problems = []
    for call in calls:
        try:
            json.dumps(call.result().metadata, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.append(f"{call.label}: its metadata is not JSON-serialisable ({exc})")
    fail_all(problems)


def check_latest(calls: Iterable[Call]) -> None:
    """After each call, ``get_manifest()``/``get_run_results()`` answer that call's artifacts."""
    problems = []
    for call in calls:
        call.returned()
        command = call.step.command if call.step is not None else None
        for what, answer, file in (
            ("get_manifest()", call.latest_manifest, call.manifest),
            ("get_run_results()", call.latest_run_results, call.run_results),
        ):
            if answer is NOT_READ:
                continue
            compiled = command == "compile" and what == "get_run_results()"
            if compiled and isinstance(answer, DBTArtifactNotFoundError):
                continue  # compiling runs nothing: "nothing has run yet" is a fair answer
            if isinstance(answer, BaseException):
                problems.append(
                    f"{what} after {call.label} raised {type(answer).__name__}: {answer}"
                )
            elif not isinstance(answer, dict) or (
                "nodes" not in answer and what == "get_manifest()"
            ):
                problems.append(f"{what} after {call.label} is not a dbt artifact")
            elif file is not None and answer != file:
                problems.append(f"{what} after {call.label} is not that call's artifact")
    fail_all(problems)


def check_none_yet(answers: tuple[Any, Any], where: str) -> None:
    """Before anything ran, both artifact getters raise ``DBTArtifactNotFoundError``."""
    problems = []
    for what, answer in zip(("get_manifest()", "get_run_results()"), answers, strict=True):
        if answer is NOT_READ:
            problems.append(f"{what} was not asked")
        elif not isinstance(answer, DBTArtifactNotFoundError):
            shown = (
                f"raised {type(answer).__name__}"
                if isinstance(answer, BaseException)
                else "answered a document"
            )
            problems.append(
                f"{what} on {where} before anything ran {shown}, not DBTArtifactNotFoundError"
            )
    fail_all(problems)


def check_mentions(calls: Iterable[Call], token: str, reference_messages: Iterable[str]) -> None:
    """A raised error names what dbt's named (checked in dbt's message too)."""
    problems = []
    for call, reference in zip(calls, reference_messages, strict=True):
        if token not in reference:  # pragma: no cover - dbt itself changed its message
            problems.append(f"the reference's error for {call.label} no longer names {token!r}")
        if call.error is None:
            problems.append(f"{call.label} raised nothing (dbt-core's error names {token!r})")
        elif token not in str(call.error):
            problems.append(
                f"{call.label} raised {type(call.error).__name__}({str(call.error)[:200]!r}), "
                f"which does not name {token!r} as dbt's error does"
            )
    fail_all(problems)


def _invocations(call: Call, command: str) -> list[ReadableSpan]:
    return [span for span in call.trace.invocation_spans() if span.name == f"floe.dbt.{command}"]


def check_spans_invoked(calls: Iterable[Call]) -> None:
    """Exactly one ``floe.dbt.<command>`` span per invocation, in the caller's trace."""
    problems = []
    for call in calls:
        assert call.step is not None
        assert call.step.command is not None
        found = _invocations(call, call.step.command)
        if len(found) != 1:
            seen = [span.name for span in call.trace.invocation_spans()]
            problems.append(
                f"{call.label} emitted {len(found)} floe.dbt.{call.step.command} span(s) in the "
                f"caller's trace, not 1 (saw {seen or 'none'})"
            )
    fail_all(problems)


def _expected_attributes(call: Call, runtime_type: str, target: str) -> dict[str, Any]:
    assert call.step is not None
    step = call.step
    expected: dict[str, Any] = {
        "floe.dbt.runtime": runtime_type,
        "floe.dbt.command": step.command,
        "floe.dbt.target": step.target if step.target is not None else target,
    }
    for name in SELECTORS:
        if step.options.get(name) is not None:
            expected[f"floe.dbt.{name}"] = step.options[name]
    if step.options.get("full_refresh"):
        expected["floe.dbt.full_refresh"] = True
    if isinstance(call.value, DBTRunResult):
        for name in ("success", "models_run", "tests_run", "failures"):
            expected[f"floe.dbt.{name}"] = getattr(call.value, name)
    return expected


def check_span_attributes(calls: Iterable[Call], runtime_type: str, target: str) -> None:
    """Runtime type, command, target, selectors as given, a result's counts and success."""
    problems = []
    for call in calls:
        assert call.step is not None
        assert call.step.command is not None
        for span in _invocations(call, call.step.command)[:1]:
            attributes: Mapping[str, Any] = dict(span.attributes or {})
            expected = _expected_attributes(call, runtime_type, target)
            wrong = {
                name: (value, attributes.get(name, "absent"))
                for name, value in expected.items()
                if attributes.get(name, "absent") != value
            }
            for name in SELECTORS:
                if f"floe.dbt.{name}" not in expected and f"floe.dbt.{name}" in attributes:
                    wrong[f"floe.dbt.{name}"] = ("absent", attributes[f"floe.dbt.{name}"])
            if not call.step.options.get("full_refresh") and attributes.get(
                "floe.dbt.full_refresh"
            ):
                wrong["floe.dbt.full_refresh"] = (False, True)
            if wrong:
                shown = ", ".join(
                    f"{name} {got!r} (expected {want!r})" for name, (want, got) in wrong.items()
                )
                problems.append(f"the span of {call.label}: {shown}")
    fail_all(problems)


def check_span_status(calls: Iterable[Call]) -> None:
    """ERROR exactly when the call raised or its result failed."""
    problems = []
    for call in calls:
        assert call.step is not None
        assert call.step.command is not None
        failed = call.error is not None or (
            isinstance(call.value, DBTRunResult) and not call.value.success
        )
        for span in _invocations(call, call.step.command)[:1]:
            is_error = span.status.status_code == StatusCode.ERROR
            if is_error != failed:
                problems.append(
                    f"the span of {call.label} has status {span.status.status_code.name}, but the "
                    f"call {'failed' if failed else 'succeeded'}"
                )
    fail_all(problems)
