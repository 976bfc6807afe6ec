"""User text that becomes part of a dbt command line: selectors, targets and vars.

A selector is a dbt *selection expression*, never an argument list. A runtime
that splits ``"fct_orders --target prod"`` on spaces and hands the pieces to
dbt runs against production; one that sends it to dbt Cloud as part of a job
step runs whatever the text says. Every runtime therefore checks this text
here, before any of it reaches dbt, and refuses what is not selector syntax
with an error that names the offending token.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from floe_core.errors import DBTConfigurationError

__all__ = [
    "merge_vars",
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


def selector_members(value: str, *, field: str) -> list[str]:
    """Split a selector into its union members, refusing anything that is not selector syntax.

    Args:
        value: The selector, e.g. ``"tag:nightly customers+"``.
        field: ``select`` or ``exclude``, for the message.

    Returns:
        The space-separated members, in order.

    Raises:
        DBTConfigurationError: The value is empty, is not a string, or holds a
            token that is not dbt selector syntax (a flag such as
            ``--target``, a quote, ``;``, a newline ...); the message names
            the first such token.

    Examples:
        >>> selector_members("tag:nightly customers+", field="select")
        ['tag:nightly', 'customers+']
    """
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
    return [member for member in members if member]


def validate_selector(value: str | None, *, field: str) -> str | None:
    """Check an optional selector; ``None`` means "everything".

    Args:
        value: The selector or ``None``.
        field: ``select`` or ``exclude``, for the message.

    Returns:
        The selector, unchanged.

    Raises:
        DBTConfigurationError: See :func:`selector_members`.
    """
    if value is not None:
        selector_members(value, field=field)
    return value


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


def vars_argument(values: Mapping[str, Any] | None) -> str | None:
    r"""Render dbt ``--vars`` from a mapping, as one JSON document dbt reads back exactly.

    dbt reads ``--vars`` as YAML 1.1 (PyYAML), which is not quite a superset
    of JSON: ``1e+16`` is a *string* there (a float needs a dot), the
    ``\ud83d\ude00`` escapes JSON uses beyond the BMP are a syntax error,
    a few characters JSON leaves as they are are not allowed or are line
    breaks, and a mapping key may not be longer than 1024 characters. The
    document is written so that both readers agree: exponent floats get a
    ``.0`` (``1.0e+16``), text is written as itself except for the
    characters YAML would misread (escaped as ``\uXXXX``), and a key too
    long for dbt is refused.

    Args:
        values: Variable names to JSON values, or ``None`` for no ``--vars``.

    Returns:
        The argument for ``--vars``, or ``None``.

    Raises:
        DBTConfigurationError: ``values`` is not a mapping with string keys
            and JSON values (finite numbers, strings, booleans, null, lists,
            mappings), holds text that is not Unicode (a lone surrogate), or
            a key longer than dbt's reader accepts.

    Examples:
        >>> vars_argument({"since": "2024-01-01", "limit": 3, "ratio": 1e16})
        '{"since": "2024-01-01", "limit": 3, "ratio": 1.0e+16}'
    """
    if values is None:
        return None
    if not isinstance(values, Mapping):
        raise DBTConfigurationError(
            f"vars must be a mapping of variable names to values, got {type(values).__name__}; "
            "e.g. vars={'start_date': '2024-01-01'}"
        )
    bad_keys = [key for key in values if not isinstance(key, str) or not key]
    if bad_keys:
        raise DBTConfigurationError(
            f"vars keys must be non-empty strings; {len(bad_keys)} key(s) are not"
        )
    try:
        return _render(values, "vars")
    except ValueError as exc:  # also int-to-text conversion past Python's digit limit
        raise DBTConfigurationError(f"vars must hold JSON values only: {exc}") from None


# Characters JSON writes as themselves that YAML 1.1 refuses (C1 controls,
# non-characters) or reads as line breaks (NEL, LS, PS), and the BOM.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# PyYAML's limit on a flow mapping key, quotes included.
_MAX_KEY = 1024


def _render(value: Any, where: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value!r}, not a finite number")
        text = repr(value)
        mantissa, exponent = text.split("e") if "e" in text else (text, None)
        if exponent is not None and "." not in mantissa:
            return f"{mantissa}.0e{exponent}"  # YAML 1.1 reads 1e+16 as a string
        return text
    if isinstance(value, str):
        return _text(value, f"{where} holds a lone surrogate, not Unicode text")
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has a non-string key")
            rendered = _text(key, f"{where} has a key holding a lone surrogate")
            if len(rendered) > _MAX_KEY:
                raise ValueError(
                    f"{where} has a key of {len(key)} characters, longer than dbt reads"
                )
            items.append(f"{rendered}: {_render(item, f'{where}.{key}')}")
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        rendered_items = (_render(item, f"{where}[{index}]") for index, item in enumerate(value))
        return "[" + ", ".join(rendered_items) + "]"
    raise ValueError(f"{where} is a {type(value).__name__}")


def _text(value: str, lone_surrogate: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError(lone_surrogate)
    return _YAML_UNSAFE.sub(
        lambda char: f"\\u{ord(char[0]):04x}", json.dumps(value, ensure_ascii=False)
    )


def merge_vars(bound: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``bound`` updated with ``extra`` (top-level keys replace), as a private copy.

    How every runtime combines the vars it binds (``with_vars``) with a call's
    own ``vars=``. Round-tripping ``extra`` through :func:`vars_argument` both
    checks it and copies it, so a caller that later mutates the mapping it
    passed cannot change what a bound runtime sends.

    Args:
        bound: Vars already checked (a runtime's bound vars).
        extra: Vars to add, or None.

    Returns:
        The merged vars.

    Raises:
        DBTConfigurationError: ``extra`` is not a mapping of JSON values.

    Examples:
        >>> merge_vars({"a": 1, "b": 2}, {"b": 3})
        {'a': 1, 'b': 3}
    """
    checked = vars_argument(extra)
    merged = dict(bound)
    if checked is not None:
        merged.update(json.loads(checked))
    return merged
