"""Public API: turn what ``dbtRunner`` reports into the contract's errors.

For vendors building a runtime on dbt-core (in-process, in a worker, in a
container that ships results back): the compliance kit expects dbt's
outcomes classified exactly as this module does, because it classifies
plain dbt-core, its oracle, the same way. The names below are a stable,
public API of ``floe-dbt``; everything else in ``floe_dbt_local`` is the
local runtime's own.

* :func:`raise_for_dbt_result`: give it every ``dbtRunnerResult``; it raises
  when dbt could not do its job and returns when dbt ran (failed models and
  tests included, which are results);
* :func:`wrap_dbt_exception`: the error for one exception dbt reported (for
  a runtime that receives dbt's exception some other way);
* :func:`node_errors`: the failed nodes of a result, for a message;
* :data:`COMPILATION_EXCEPTIONS`: the dbt exception types that mean "the
  project does not parse or compile".

Example, the core of a dbt-core runtime::

    from dbt.cli.main import dbtRunner
    from floe_dbt_local.dbt_errors import raise_for_dbt_result

    outcome = dbtRunner().invoke(["run", "--project-dir", str(project_dir), ...])
    raise_for_dbt_result(outcome, command="run", project_dir=project_dir)
    # dbt ran: count target/run_results.json with floe_core.artifacts.count_run_results

How dbt's outcomes are split. ``dbtRunner.invoke`` never raises: an
inability to run comes back as ``dbtRunnerResult.exception``. Failed models
and tests come back with no exception at all and are results, not errors.
The rest follows dbt-core's own hierarchy:

* parse and compile failures (``CompilationError`` and its many subclasses,
  ``ParsingError``, schema validation of YAML, a broken model contract) are
  :class:`~floe_core.errors.DBTCompilationError`;
* everything else (``DbtProjectError``, ``DbtProfileError``, a usage error,
  a bad selector, an internal or database error, a file dbt cannot read,
  even ``KeyboardInterrupt``) is :class:`~floe_core.errors.DBTExecutionError`.

One exception to the hierarchy: ``dbt compile`` stops at the first node that
fails to compile and re-raises that node's message as a plain
``DbtRuntimeError`` (``GraphRunnableTask._raise_next_tick``), so for
``compile`` that exact type is a compilation failure too; and a ``compile``
reported as failed without an exception raises, naming the failed nodes
(``compile`` has no result to carry them).

Every error names the command and the project, and keeps dbt's exception as
``__cause__`` (:func:`raise_for_dbt_result` raises ``from`` it; a caller of
:func:`wrap_dbt_exception` does the same). Works with dbt-core 1.8 to 1.11.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dbt.cli.main import dbtRunnerResult
from dbt.exceptions import ContractBreakingChangeError, ParsingError
from dbt_common.exceptions import CompilationError, DbtRuntimeError, DbtValidationError

from floe_core.errors import DBTCompilationError, DBTError, DBTExecutionError

__all__ = ["COMPILATION_EXCEPTIONS", "node_errors", "raise_for_dbt_result", "wrap_dbt_exception"]

COMPILATION_EXCEPTIONS: tuple[type[BaseException], ...] = (
    CompilationError,
    ParsingError,
    DbtValidationError,
    ContractBreakingChangeError,
)


def wrap_dbt_exception(
    exc: BaseException, *, command: str, project_dir: Path, written: Sequence[Path] = ()
) -> DBTError:
    """Build the floe error for an exception dbt reported.

    The caller raises the result ``from exc`` so the original stays the cause.

    Args:
        exc: ``dbtRunnerResult.exception``.
        command: The dbt command that failed.
        project_dir: The project it ran on (named in the message).
        written: The directories dbt writes into (``target-path``, ``log-path``):
            a ``PermissionError`` on a file there is a write, and the fix says so.

    Returns:
        A :class:`DBTCompilationError` or a :class:`DBTExecutionError`.

    Examples:
        >>> from dbt_common.exceptions import CompilationError
        >>> error = wrap_dbt_exception(
        ...     CompilationError("boom"), command="run", project_dir=Path("/p")
        ... )
        >>> type(error).__name__
        'DBTCompilationError'
    """
    detail = str(exc).strip() or type(exc).__name__
    node_failed_to_compile = command == "compile" and type(exc) is DbtRuntimeError
    if isinstance(exc, COMPILATION_EXCEPTIONS) or node_failed_to_compile:
        return DBTCompilationError(
            f"dbt could not parse or compile the project at {project_dir} "
            f"(dbt {command}): {type(exc).__name__}: {detail}"
        )
    return DBTExecutionError(
        f"dbt could not run `dbt {command}` on the project at {project_dir}: "
        f"{type(exc).__name__}: {detail}{_fix_for(exc, written)}"
    )


def _fix_for(exc: BaseException, written: Sequence[Path]) -> str:
    """The fix for the errors dbt lets through from Python itself (they carry no advice)."""
    if isinstance(exc, PermissionError) and exc.filename:
        where = Path(str(exc.filename))
        directory = next((d for d in written if where == d or d in where.parents), None)
        if directory is not None:
            return (
                f"; dbt writes its artifacts and logs there: make {directory} writable by "
                "the user running dbt, or point target-path and log-path (DBT_TARGET_PATH, "
                "DBT_LOG_PATH) at a directory it may write"
            )
        return (
            "; make the file readable by the user running dbt (e.g. chmod a+r), "
            "or move it out of the project"
        )
    if isinstance(exc, UnicodeDecodeError):
        return (
            "; dbt reads every project file and profiles.yml as UTF-8: save the file "
            "written in another encoding (Latin-1, UTF-16 ...) as UTF-8"
        )
    return ""


def node_errors(result: dbtRunnerResult) -> str:
    """Name the nodes that failed in a result dbt returned, with dbt's message for each.

    Args:
        result: What ``dbtRunner().invoke([...])`` returned.

    Returns:
        ``"<unique_id>: <message>; ..."`` for every node whose status is
        ``error``, ``fail`` or ``runtime error``, or a sentence saying dbt
        reported failure without one (e.g. when the result holds no nodes).

    Examples:
        >>> from dbt.cli.main import dbtRunnerResult
        >>> node_errors(dbtRunnerResult(success=False))
        'dbt reported failure without a node error'
    """
    failed = [
        f"{node_result.node.unique_id}: {node_result.message}"
        for node_result in getattr(result.result, "results", None) or []
        if str(node_result.status).lower() in {"error", "runtime error", "fail"}
    ]
    return "; ".join(failed) or "dbt reported failure without a node error"


def raise_for_dbt_result(
    result: dbtRunnerResult, *, command: str, project_dir: Path, written: Sequence[Path] = ()
) -> None:
    """Raise the contract's error when a ``dbtRunnerResult`` says dbt could not do its job.

    Failed models and tests are *results* under the contract, so for ``run``,
    ``test``, ``seed``, ``snapshot`` and ``build`` this raises only when dbt
    reported an exception (it could not run at all). ``compile`` has no
    result to report failures in, so a compile that failed on a node raises
    :class:`DBTCompilationError` naming the nodes.

    Args:
        result: What ``dbtRunner().invoke([...])`` returned.
        command: The dbt command invoked (``compile``, ``run`` ...).
        project_dir: The project it ran on (named in the message).
        written: The directories dbt writes into (see :func:`wrap_dbt_exception`).

    Raises:
        DBTCompilationError: dbt could not parse or compile the project.
        DBTExecutionError: dbt could not run the command at all.

    Examples:
        >>> from dbt.cli.main import dbtRunner  # doctest: +SKIP
        >>> outcome = dbtRunner().invoke(["run", "--project-dir", "proj"])  # doctest: +SKIP
        >>> raise_for_dbt_result(outcome, command="run", project_dir=Path("proj"))  # doctest: +SKIP
    """
    if result.exception is not None:
        raise wrap_dbt_exception(
            result.exception, command=command, project_dir=project_dir, written=written
        ) from result.exception
    if command == "compile" and not result.success:
        raise DBTCompilationError(
            f"dbt could not compile the project at {project_dir}: {node_errors(result)}"
        )
