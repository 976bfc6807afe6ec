"""Translate what ``dbtRunner`` reports into the floe error model (DESIGN.md, "The contract").

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

from dbt.exceptions import ContractBreakingChangeError, ParsingError
from dbt_common.exceptions import CompilationError, DbtRuntimeError, DbtValidationError

from floe_core.errors import DBTCompilationError, DBTError, DBTExecutionError

__all__ = ["COMPILATION_EXCEPTIONS", "wrap_dbt_exception"]

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
        f"{type(exc).__name__}: {detail}"
    )
