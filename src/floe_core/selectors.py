"""User text that becomes part of a dbt command line: selectors, targets and vars.

Each is checked once, into a value that is passed on as it is: a
:class:`Selector` (the text and its checked union members) and a
:class:`DbtVars` (the checked vars, rendered once for ``--vars``; a var
whose value is a :class:`pydantic.SecretStr` is a *secret var*: its value
reaches dbt's ``--vars`` and nothing else a runtime writes, logs or raises).
:func:`vars_argument`, :func:`merge_vars` and :func:`secret_values` are
:class:`DbtVars` as functions; :func:`selector_members` and
:func:`validate_selector` are :class:`Selector` as functions.

A selector is a dbt *selection expression*, never an argument list. A runtime
that splits ``"fct_orders --target prod"`` on spaces and hands the pieces to
dbt runs against production; one that sends it to dbt Cloud as part of a job
step runs whatever the text says. Every runtime therefore checks this text
here, before any of it reaches dbt, and refuses what is not selector syntax
with an error that names the offending token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from floe_core._vars import MAX_VARS_DEPTH, DbtVars, merge_vars, secret_values, vars_argument
from floe_core.errors import DBTConfigurationError

__all__ = [
    "MAX_VARS_DEPTH",
    "DbtVars",
    "Selector",
    "merge_vars",
    "secret_values",
    "selector_members",
    "validate_selector",
    "validate_target",
    "vars_argument",
]

# dbt's selector grammar: node names, methods (``tag:x``, ``path:models/a``,
# ``source:s.t``, ``config.materialized:view``), graph operators (``+``,
# ``N+``, ``@``), ``*`` / ``?`` wildcards, ``,`` intersections, and single
# spaces between union members. No quotes, no shell metacharacters, and no
# member may start with ``-`` (that would be a flag).
_MEMBER = re.compile(r"[A-Za-z0-9_.:+*?@,/-]+")
_TARGET = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_SHOWN = 60


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "...")


def _members(value: object, field: str) -> tuple[str, ...]:
    if not isinstance(value, str):
        raise DBTConfigurationError(
            f"{field} must be a dbt selector string or None, got {type(value).__name__}"
        )
    members = value.split(" ")
    bad = next((m for m in members if m and (not _MEMBER.fullmatch(m) or m.startswith("-"))), None)
    if bad is None and not any(members):
        bad = ""
    if bad is not None:
        offending = (
            "it is empty" if bad == "" else f"the token {_shown(bad)} is not selector syntax"
        )
        flag = " (a dbt flag cannot be passed through a selector)" if bad.startswith("-") else ""
        raise DBTConfigurationError(
            f"{field}={_shown(value)} is not a dbt selector: {offending}{flag}. Use node names, "
            "methods such as tag:x or path:models/y, graph operators (+, @), '*' and ',', "
            "separated by single spaces; pass None to select everything"
        )
    return tuple(member for member in members if member)


class Selector(str):
    """A checked dbt selection expression: the text as given, and its union members.

    It *is* the text (a ``str``), so it goes wherever the contract takes a
    selector (``run_models(select=...)``), and a runtime given a ``Selector``
    does not check it again: :meth:`of` returns it as it is.

    Examples:
        >>> Selector("tag:nightly customers+").members
        ('tag:nightly', 'customers+')
    """

    __members: tuple[str, ...]

    def __new__(cls, value: str, *, field: str = "select") -> Selector:
        """Check a selector.

        Args:
            value: The selector, e.g. ``"tag:nightly customers+"``.
            field: ``select`` or ``exclude``, for the message.

        Raises:
            DBTConfigurationError: The value is empty, is not a string, or holds a
                token that is not dbt selector syntax (a flag such as
                ``--target``, a quote, ``;``, a newline ...); the message names
                the first such token.
        """
        members = _members(value, field)
        checked = super().__new__(cls, value)
        checked.__members = members
        return checked

    @property
    def members(self) -> tuple[str, ...]:
        """The space-separated union members, in order."""
        return self.__members

    @classmethod
    def of(cls, value: str | None, *, field: str) -> Selector | None:
        """``None`` (everything), ``value`` itself when checked already, else ``value`` checked.

        Raises:
            DBTConfigurationError: See :class:`Selector`.
        """
        if value is None or isinstance(value, Selector):
            return value
        return cls(value, field=field)

    @classmethod
    def union(cls, members: Iterable[str], *, field: str = "select") -> Selector:
        """The selector of several union members (each checked, as one selector).

        Raises:
            DBTConfigurationError: See :class:`Selector`.

        Examples:
            >>> Selector.union(["resource_type:seed", "fqn:shop.orders"])
            'resource_type:seed fqn:shop.orders'
        """
        return cls(" ".join(members), field=field)


def selector_members(value: str, *, field: str) -> list[str]:
    """Split a selector into its union members, refusing anything that is not selector syntax.

    Args:
        value: The selector, e.g. ``"tag:nightly customers+"``.
        field: ``select`` or ``exclude``, for the message.

    Returns:
        The space-separated members, in order.

    Raises:
        DBTConfigurationError: See :class:`Selector`.

    Examples:
        >>> selector_members("tag:nightly customers+", field="select")
        ['tag:nightly', 'customers+']
    """
    if isinstance(value, Selector):
        return list(value.members)
    return list(_members(value, field))


def validate_selector(value: str | None, *, field: str) -> Selector | None:
    """Check an optional selector; ``None`` means "everything".

    Args:
        value: The selector or ``None``.
        field: ``select`` or ``exclude``, for the message.

    Returns:
        The checked :class:`Selector` (the same text), or ``None``.

    Raises:
        DBTConfigurationError: See :class:`Selector`.
    """
    return Selector.of(value, field=field)


def validate_target(value: str) -> str:
    """Check a profile target name before it becomes ``--target <value>``.

    Args:
        value: The target, e.g. ``dev``.

    Returns:
        The target, unchanged.

    Raises:
        DBTConfigurationError: It is empty, starts with ``-`` or holds
            characters a profile output name does not have.

    Examples:
        >>> validate_target("dev")
        'dev'
    """
    if not isinstance(value, str) or not _TARGET.fullmatch(value):
        shown = _shown(value) if isinstance(value, str) else type(value).__name__
        raise DBTConfigurationError(
            f"target={shown} is not a profile target name: use letters, digits, '_', '-' "
            "or '.', not starting with '-' or '.', e.g. target='dev'"
        )
    return value
