"""Which contract error a ``dbtRunner`` outcome means: the reference's own reading.

The contract (``DBTPlugin`` docstrings, the error module) draws one line:
what stops dbt while it *parses or compiles* the project is a
``DBTCompilationError``; anything else that stops dbt from running at all is
a ``DBTExecutionError``; failed nodes are a result, not an error. dbt-core
says which phase failed through its exception classes, so this module reads
them by name (the reference runs in another process and sends the names):

* ``CompilationError`` and its subclasses, ``ParsingError``,
  ``DbtValidationError`` (a YAML that does not validate) and
  ``ContractBreakingChangeError`` are compilation failures;
* ``dbt compile`` stops at the first node that does not compile and re-raises
  its message as a plain ``DbtRuntimeError``: for ``compile`` that exact
  class is a compilation failure too, and so is a compile that reports
  failure without an exception;
* everything else (``DbtProjectError``, ``DbtProfileError``, a usage error
  ...) is an execution failure.

Why the kit keeps its own reading instead of importing the helper the local
runtime uses (``floe_dbt_local.dbt_errors``): the reference must not share
code with a runtime it certifies, or a fault in that helper would be
certified against itself. The certifying guide tells vendors to use that
helper; when the two readings ever disagree, certifying ``local`` fails, which
is how the disagreement gets noticed.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["COMPILATION_CLASSES", "contract_error_for"]

COMPILATION_CLASSES = frozenset(
    {"CompilationError", "ParsingError", "DbtValidationError", "ContractBreakingChangeError"}
)


def contract_error_for(
    command: str, success: bool, exception_classes: Sequence[str] | None
) -> str | None:
    """Name the contract error a ``dbtRunner`` outcome stands for, or ``None`` for a result.

    Args:
        command: The dbt command (``compile``, ``run`` ...).
        success: ``dbtRunnerResult.success``.
        exception_classes: The class names of ``dbtRunnerResult.exception``'s
            MRO, most derived first; ``None`` when dbt reported no exception.

    Returns:
        ``DBTCompilationError``, ``DBTExecutionError`` or ``None``.

    Examples:
        >>> contract_error_for("run", False, ["DbtProfileError", "DbtConfigError"])
        'DBTExecutionError'
        >>> contract_error_for("compile", False, ["DbtRuntimeError"])
        'DBTCompilationError'
        >>> contract_error_for("test", False, None) is None
        True
    """
    if exception_classes:
        if COMPILATION_CLASSES & set(exception_classes):
            return "DBTCompilationError"
        if command == "compile" and exception_classes[0] == "DbtRuntimeError":
            return "DBTCompilationError"
        return "DBTExecutionError"
    if command == "compile" and not success:
        return "DBTCompilationError"
    return None
