"""Counts from ``run_results.json``, computed the same way for every runtime.

The definitions (the contract, docs/architecture/plugin-architecture.md#dbtrunresult):

* ``models_run``: model nodes that executed, i.e. whose status is ``success``
  or ``error``. Skipped models (downstream of a failure) did not run.
* ``tests_run``: data tests and unit tests that executed: ``pass``, ``fail``,
  ``warn`` or ``error``.
* ``failures``: every result whose status is ``error``, ``fail`` or
  ``runtime error``, whatever the node type (a seed or snapshot error counts).

Warnings are neither failures nor successes of their own: a ``warn`` test ran
and did not fail the invocation.

Where the artifacts are: :func:`target_path` resolves a project's
``target-path`` as dbt does, for every runtime and for the kit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from floe_core.errors import DBTArtifactNotFoundError, UnreadableFile
from floe_core.files import read_json, read_text

__all__ = [
    "CATALOG_JSON",
    "FAILURE_STATUSES",
    "MANIFEST_JSON",
    "PROJECT_FILE_LIMIT",
    "RUN_RESULTS_JSON",
    "NodeFailure",
    "RunCounts",
    "count_run_results",
    "failed_nodes",
    "project_path",
    "read_json_artifact",
    "read_project_settings",
    "target_path",
]

#: The artifacts dbt writes into ``target-path``, by file name.
MANIFEST_JSON = "manifest.json"
RUN_RESULTS_JSON = "run_results.json"
CATALOG_JSON = "catalog.json"
#: The most floe reads of ``dbt_project.yml`` or ``profiles.yml`` (dbt's own are a few KB).
PROJECT_FILE_LIMIT = 16 * 1024 * 1024

FAILURE_STATUSES = frozenset({"error", "fail", "runtime error"})
_MODEL_EXECUTED = frozenset({"success", "error"})
_TEST_EXECUTED = frozenset({"pass", "fail", "warn", "error"})
_TEST_PREFIXES = ("test.", "unit_test.")


class RunCounts(NamedTuple):
    """What one invocation did, as the contract counts it."""

    models_run: int
    tests_run: int
    failures: int


def count_run_results(run_results: Mapping[str, Any]) -> RunCounts:
    """Count executed models, executed tests and failures in a run_results document.

    Args:
        run_results: The parsed ``run_results.json``.

    Returns:
        The counts as the module docstring defines them.

    Raises:
        ValueError: The document has no ``results`` list, or a result lacks
            ``unique_id`` or ``status``.

    Examples:
        >>> count_run_results({"results": [
        ...     {"unique_id": "model.p.a", "status": "success"},
        ...     {"unique_id": "model.p.b", "status": "skipped"},
        ...     {"unique_id": "test.p.t", "status": "fail"},
        ... ]})
        RunCounts(models_run=1, tests_run=1, failures=1)
    """
    results = run_results.get("results")
    if not isinstance(results, list):
        raise ValueError("run_results.json has no 'results' list; is it a dbt run_results file?")
    models = tests = failures = 0
    for index, result in enumerate(results):
        try:
            unique_id = str(result["unique_id"])
            status = str(result["status"]).lower()
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"run_results.json result #{index} lacks 'unique_id' or 'status'"
            ) from exc
        if unique_id.startswith("model.") and status in _MODEL_EXECUTED:
            models += 1
        elif unique_id.startswith(_TEST_PREFIXES) and status in _TEST_EXECUTED:
            tests += 1
        if status in FAILURE_STATUSES:
            failures += 1
    return RunCounts(models, tests, failures)


class NodeFailure(NamedTuple):
    """A node that failed, as ``run_results.json`` records it."""

    unique_id: str
    status: str
    message: str


def failed_nodes(run_results: Mapping[str, Any]) -> list[NodeFailure]:
    """The results counted as failures (:data:`FAILURE_STATUSES`), with dbt's message.

    Tolerant where :func:`count_run_results` is strict: it explains a result
    already counted, so a result it cannot read is left out, never raised.

    Args:
        run_results: The parsed ``run_results.json``.

    Returns:
        The failures, in the document's order.

    Examples:
        >>> failed_nodes({"results": [
        ...     {"unique_id": "model.p.a", "status": "success", "message": "OK"},
        ...     {"unique_id": "model.p.b", "status": "error",
        ...      "message": "Table raw_custo..."},
        ... ]})
        [NodeFailure(unique_id='model.p.b', status='error', message='Table raw_custo...')]
    """
    results = run_results.get("results")
    failures = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping):
            continue
        status = str(result.get("status", "")).lower()
        if status in FAILURE_STATUSES:
            message = result.get("message")
            failures.append(
                NodeFailure(
                    str(result.get("unique_id", "?")),
                    status,
                    message.strip() if isinstance(message, str) else "",
                )
            )
    return failures


def read_json_artifact(path: Path, *, what: str) -> dict[str, Any]:
    """Read a dbt JSON artifact, with an actionable error when it is not there or not usable.

    The file is read by :func:`floe_core.files.read_json`: a FIFO or a device
    in its place is refused without blocking, a directory, a file that cannot
    be read, more than :data:`~floe_core.files.MAX_ARTIFACT_BYTES`, text that
    is not UTF-8 or JSON nested deeper than
    :data:`~floe_core.files.MAX_JSON_DEPTH` is refused with the reason.

    Args:
        path: Where the artifact should be.
        what: What produces it, for the message (e.g. "run `dbt compile` first").

    Returns:
        The parsed document.

    Raises:
        DBTArtifactNotFoundError: The file does not exist, cannot be used (the
            message says why), or is not a JSON object.
    """
    try:
        document = read_json(path, what="dbt artifact")
    except UnreadableFile as exc:
        if exc.missing:
            raise DBTArtifactNotFoundError(f"{path} does not exist yet; {what}") from None
        problem = exc.os_error or f"it {exc.fact}"
        raise DBTArtifactNotFoundError(f"cannot read {path}: {problem}; {what}") from None
    if not isinstance(document, dict):
        raise DBTArtifactNotFoundError(f"{path} does not hold a JSON object; {what}")
    return document


def read_project_settings(project_dir: Path) -> dict[str, Any]:
    """The mapping in ``<project_dir>/dbt_project.yml``; ``{}`` when it cannot be read.

    Whatever is wrong with the file (missing, not UTF-8, not YAML, nested past
    the recursion limit, a FIFO), dbt reports it when it is invoked, with a
    better message; here it only means dbt's defaults. The file is read
    without blocking, within :data:`PROJECT_FILE_LIMIT`.
    """
    path = Path(project_dir) / "dbt_project.yml"
    try:
        document = yaml.safe_load(read_text(path, limit=PROJECT_FILE_LIMIT, what=path.name))
    except (UnreadableFile, ValueError, yaml.YAMLError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def project_path(settings: Mapping[str, Any], key: str, variable: str, default: str) -> str:
    """A path setting of a project as dbt resolves it: environment, ``dbt_project.yml``, default.

    Args:
        settings: The project's ``dbt_project.yml`` (:func:`read_project_settings`).
        key: The setting (``target-path``, ``log-path``).
        variable: The environment variable that overrides it (``DBT_TARGET_PATH`` ...).
        default: dbt's default (``target``, ``logs``).

    Returns:
        The path as written, relative to the project directory unless absolute.
    """
    configured = settings.get(key)
    written = configured if isinstance(configured, str) and configured.strip() else default
    return os.environ.get(variable) or written


def target_path(project_dir: Path, settings: Mapping[str, Any] | None = None) -> Path:
    """Where dbt writes a project's artifacts: ``DBT_TARGET_PATH``, else ``target-path``.

    Relative to ``project_dir`` (an absolute setting stays absolute), as dbt
    resolves it; ``target`` when neither is set.

    Args:
        project_dir: The directory holding ``dbt_project.yml``.
        settings: The project's settings, when already read.

    Examples:
        >>> target_path(Path("/nonexistent/project"))
        PosixPath('/nonexistent/project/target')
    """
    if settings is None:
        settings = read_project_settings(project_dir)
    return Path(project_dir) / project_path(settings, "target-path", "DBT_TARGET_PATH", "target")
