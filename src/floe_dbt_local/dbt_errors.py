"""Translate what ``dbtRunner`` reports into the contract's errors: a public helper.

A runtime built on dbt-core (this package's ``local``, or a vendor's own)
must turn dbt's outcomes into :class:`~floe_core.errors.DBTCompilationError` /
:class:`~floe_core.errors.DBTExecutionError` exactly as the compliance kit
expects. :func:`raise_for_dbt_result` does it for a ``dbtRunnerResult``;
:func:`wrap_dbt_exception` for an exception dbt reported.

``dbtRunner.invoke`` never raises: an inability to run comes back as
``dbtRunnerResult.exception``. Failed models and tests come back with no
exception at all and are results, not errors. The rest is split along
dbt-core's own hierarchy:

* parse and compile failures (``CompilationError`` and its many subclasses,
  ``ParsingError``, schema validation of YAML, a broken model contract) are
  :class:`DBTCompilationError`;
* everything else (``DbtProjectError``, ``DbtProfileError``, a usage error,
  a bad selector, an internal or database error, even ``KeyboardInterrupt``)
  is :class:`DBTExecutionError`.

One exception to the hierarchy: ``dbt compile`` stops at the first node that
fails to compile and re-raises that node's message as a plain
``DbtRuntimeError`` (``GraphRunnableTask._raise_next_tick``), so for
``compile`` that exact type is a compilation failure too.
"""

from __future__ import annotations

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


def wrap_dbt_exception(exc: BaseException, *, command: str, project_dir: Path) -> DBTError:
    """Build the floe error for an exception dbt reported.

    The caller raises the result ``from exc`` so the original stays the cause.

    Args:
        exc: ``dbtRunnerResult.exception``.
        command: The dbt command that failed.
        project_dir: The project it ran on (named in the message).

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
        f"{type(exc).__name__}: {detail}{_fix_for(exc)}"
    )


def _fix_for(exc: BaseException) -> str:
    """The fix for the errors dbt lets through from Python itself (they carry no advice)."""
    if isinstance(exc, PermissionError) and exc.filename:
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
    """Name the nodes that failed in a result dbt returned without an exception."""
    failed = [
        f"{node_result.node.unique_id}: {node_result.message}"
        for node_result in getattr(result.result, "results", None) or []
        if str(node_result.status).lower() in {"error", "runtime error", "fail"}
    ]
    return "; ".join(failed) or "dbt reported failure without a node error"


def raise_for_dbt_result(result: dbtRunnerResult, *, command: str, project_dir: Path) -> None:
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
            result.exception, command=command, project_dir=project_dir
        ) from result.exception
    if command == "compile" and not result.success:
        raise DBTCompilationError(
            f"dbt could not compile the project at {project_dir}: {node_errors(result)}"
        )
