"""Plain dbt-core for the kit's reference: ``python -m floe_dbt_compliance.oracle.worker``.

The kit starts this process once (per pytest process that needs it) and
sends it one scenario per line on stdin: a fresh copy of a project and the
steps to run on it. Each call of the contract becomes the dbt command it
means, through a bare ``dbtRunner`` (no floe runtime is imported), and the
worker answers one line of JSON with an observation per step, read exactly
as the kit reads the runtime under test.

Before dbt runs, the worker checks selectors, targets and vars with
:mod:`floe_core.vocabulary` and :mod:`floe_core.selectors`, the contract's
own rule: what it refuses is a ``DBTConfigurationError`` and never reaches
dbt; what it accepts is rendered for dbt exactly as the runtimes render it
(:meth:`~floe_core.vocabulary.DbtArguments.flags`, one ``--vars`` document).
dbt's console output goes to ``/dev/null``; the answers use a private copy of
the original stdout.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from floe_core.artifacts import MANIFEST_JSON, RUN_RESULTS_JSON, count_run_results, target_path
from floe_core.errors import DBTConfigurationError
from floe_core.lifecycle import lifecycle_metadata
from floe_core.selectors import DbtVars, validate_target
from floe_core.vocabulary import COMMANDS, COMPILE, DbtArguments, RunFlags, command_for_method
from floe_dbt_compliance.observe import Observation, compiled_ids, manifest_ids, node_statuses
from floe_dbt_compliance.oracle.dbt_outcome import contract_error_for
from floe_dbt_compliance.scenarios import KEEP_STATE, apply_change, write_state
from floe_dbt_compliance.warehouse import Location, read_location

__all__ = ["dbt_arguments", "main", "run_scenario"]


def _release_dbt() -> None:
    # dbt-duckdb keeps its DuckDB instance (and the file's lock) in a class
    # attribute; the warehouse is read right after, so let it go.
    from dbt.adapters.factory import reset_adapters

    reset_adapters()  # type: ignore[no-untyped-call]
    module = sys.modules.get("dbt.adapters.duckdb.connections")
    manager = getattr(module, "DuckDBConnectionManager", None)
    if manager is not None:
        with manager._LOCK:
            environment, manager._ENV = manager._ENV, None
        if environment is not None:
            environment.close()


def dbt_arguments(
    command: str,
    project_dir: Path,
    profiles_dir: Path,
    target: str,
    options: Mapping[str, Any],
    bound_vars: Mapping[str, Any] | None,
    run_flags: RunFlags | None = None,
) -> list[str]:
    """The ``dbt`` command line of one call, after the contract's checks.

    Raises:
        DBTConfigurationError: A selector, the target or the vars are not what
            the contract accepts (nothing runs).
    """
    validate_target(target)
    # Each vars is checked on its own (a runtime refuses bad vars where they are given),
    # then the call's are merged over the bound ones, as every runtime merges them.
    variables = DbtVars.of(bound_vars).merged(options.get("vars"))
    arguments = DbtArguments.of(
        COMMANDS[command],
        select=options.get("select"),
        exclude=options.get("exclude"),
        full_refresh=bool(options.get("full_refresh")),
        vars=variables,
        run_flags=run_flags,
    )
    return [
        command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir),
        "--target",
        target,
        "--quiet",
        *arguments.flags(),
    ]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _observe(request: Mapping[str, Any], step: Mapping[str, Any]) -> Observation:
    from dbt.cli.main import dbtRunner

    command = command_for_method(str(step["method"]))
    assert command is not None  # an edit or a link never gets here
    project_dir = Path(request["project_dir"])
    location = Location.from_json(request["location"])
    if step.get("project_dir") is not None:
        project_dir = project_dir / str(step["project_dir"])
    try:
        arguments = dbt_arguments(
            command.name,
            project_dir,
            Path(request["profiles_dir"]),
            step.get("target") or request["target"],
            step["options"],
            step["bound_vars"],
            _run_flags(Path(request["project_dir"]), step),
        )
    except DBTConfigurationError as exc:
        return Observation(
            raised="DBTConfigurationError", message=str(exc), warehouse=read_location(location)
        )
    try:
        outcome = dbtRunner().invoke(arguments)
    finally:
        _release_dbt()
    exception = outcome.exception
    classes = [cls.__name__ for cls in type(exception).__mro__] if exception is not None else None
    raised = contract_error_for(command.name, bool(outcome.success), classes)
    if raised is not None:
        message = str(exception) if exception is not None else "dbt reported failure"
        return Observation(raised=raised, message=message, warehouse=read_location(location))
    artifacts = target_path(project_dir)
    manifest = _read(artifacts / MANIFEST_JSON)
    if command is COMPILE:
        return Observation(
            manifest=manifest_ids(manifest),
            compiled=compiled_ids(manifest),
            warehouse=read_location(location),
        )
    run_results = _read(artifacts / RUN_RESULTS_JSON) or {"results": []}
    counts = count_run_results(run_results)
    return Observation(
        counts={
            "models_run": counts.models_run,
            "tests_run": counts.tests_run,
            "failures": counts.failures,
            "success": bool(outcome.success) and counts.failures == 0,
        },
        nodes=node_statuses(run_results),
        manifest=manifest_ids(manifest),
        lifecycle=lifecycle_metadata(command, run_results) if command.metadata_counts else None,
        warehouse=read_location(location),
    )


def _run_flags(copy: Path, step: Mapping[str, Any]) -> RunFlags:
    # What the step binds (with_fail_fast, with_state): the state is a directory of the copy.
    state = step.get("state")
    return RunFlags(
        bool(step.get("fail_fast")),
        None if state is None else copy / str(state),
        bool(step.get("defer")),
    )


def run_scenario(request: Mapping[str, Any]) -> list[dict[str, Any] | None]:
    """Run one scenario's steps on the copy the request names.

    Args:
        request: ``project_dir``, ``profiles_dir``, ``location`` (where the copy's effects
            land, as :meth:`~floe_dbt_compliance.warehouse.Location.as_json` wrote it),
            ``target`` and ``steps``
            (each as :meth:`floe_dbt_compliance.scenarios.Step.as_json` wrote it).

    Returns:
        One observation per step (``None`` for an edit), as JSON.
    """
    project_dir = Path(request["project_dir"])
    observations: list[dict[str, Any] | None] = []
    for step in request["steps"]:
        if step["method"] == KEEP_STATE:
            manifest = _read(target_path(project_dir) / MANIFEST_JSON) or {}
            write_state(project_dir, step, manifest)
            observations.append(None)
            continue
        if command_for_method(step["method"]) is None:
            apply_change(project_dir, step)
            observations.append(None)
            continue
        observations.append(_observe(request, step).as_json())
    return observations


def serve(requests: TextIO, answers: TextIO) -> None:
    """Answer each request line with one line: ``{"observations": [...]}`` or ``{"error": ...}``."""
    for line in requests:
        if not line.strip():
            continue
        try:
            answer: dict[str, Any] = {"observations": run_scenario(json.loads(line))}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


def main() -> None:  # pragma: no cover - runs in the worker process
    """Serve requests from stdin; dbt's own output never reaches the answers."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's life
    serve(sys.stdin, answers)


if __name__ == "__main__":  # pragma: no cover
    main()
