"""Private: the vars of a dbt invocation, checked, copied, rendered for ``--vars``.

Public through :mod:`floe_core.selectors` (``vars_argument``, ``merge_vars``,
``secret_values``); see there. Everything here walks a value whose depth is
bounded (:data:`MAX_VARS_DEPTH`) and refuses one that contains itself, so no
input can make it recurse out of the stack.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from floe_core._yaml import MAX_DEPTH
from floe_core.errors import DBTConfigurationError

__all__ = ["MAX_VARS_DEPTH", "merge_vars", "secret_values", "vars_argument"]

#: The deepest nesting of vars: what ``floe --vars`` reads too (dbt reads
#: ``--vars`` as YAML, whose readers recurse per level).
MAX_VARS_DEPTH = MAX_DEPTH
# Characters JSON writes as themselves that YAML 1.1 refuses (C1 controls,
# non-characters) or reads as line breaks (NEL, LS, PS), and the BOM.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# PyYAML's limit on a flow mapping key, quotes included.
_MAX_KEY = 1024
_SHOWN_PATH = 3


class _Refused(ValueError):
    pass


def _where(path: tuple[str, ...]) -> str:
    shown = path[:_SHOWN_PATH] if len(path) > _SHOWN_PATH + 1 else path
    text = "vars" + "".join(part if part.startswith("[") else f".{part}" for part in shown)
    return text + "..." if len(shown) < len(path) else text


def _copy(value: Any, path: tuple[str, ...], active: set[int]) -> Any:
    """A checked copy: JSON values (and ``SecretStr``), tuples as lists, bounded depth."""
    if value is None or isinstance(value, (bool, int, SecretStr)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Refused(f"{_where(path)} is {value!r}, not a finite number")
        return value
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise _Refused(f"{_where(path)} holds a lone surrogate, not Unicode text")
        return value
    if not isinstance(value, (Mapping, list, tuple)):
        raise _Refused(f"{_where(path)} is a {type(value).__name__}")
    if id(value) in active:
        raise _Refused(f"{_where(path)} contains itself, which no JSON document can hold")
    if len(path) >= MAX_VARS_DEPTH:
        raise _Refused(
            f"{_where(path)} is nested more than {MAX_VARS_DEPTH} levels deep, deeper than "
            "dbt reads --vars"
        )
    active.add(id(value))
    try:
        if isinstance(value, Mapping):
            copied = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _Refused(f"{_where(path)} has a non-string key")
                if _SURROGATE.search(key):
                    raise _Refused(f"{_where(path)} has a key holding a lone surrogate")
                if len(_text(key)) > _MAX_KEY:
                    raise _Refused(
                        f"{_where(path)} has a key of {len(key)} characters, longer than dbt reads"
                    )
                copied[key] = _copy(item, (*path, key), active)
            return copied
        return [_copy(item, (*path, f"[{index}]"), active) for index, item in enumerate(value)]
    finally:
        active.discard(id(value))


def _render(value: Any) -> str:
    """Render a checked copy (depth already bounded) as the ``--vars`` JSON dbt reads back."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, exponent = text.split("e") if "e" in text else (text, None)
        if exponent is not None and "." not in mantissa:
            return f"{mantissa}.0e{exponent}"  # YAML 1.1 reads 1e+16 as a string
        return text
    if isinstance(value, SecretStr):
        return _text(value.get_secret_value())  # dbt needs the value; nothing else gets it
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(k)}: {_render(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_render(item) for item in value) + "]"


def _text(value: str) -> str:
    return _YAML_UNSAFE.sub(
        lambda char: f"\\u{ord(char[0]):04x}", json.dumps(value, ensure_ascii=False)
    )


def checked_vars(values: Mapping[str, Any]) -> dict[str, Any]:
    """A private, checked copy of ``values``; see :func:`vars_argument` for what is refused.

    Raises:
        DBTConfigurationError: See :func:`vars_argument`.
    """
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
        copied: dict[str, Any] = _copy(values, (), set())
        _render(copied)  # int-to-text past Python's digit limit fails here, not later
    except (_Refused, ValueError) as exc:
        raise DBTConfigurationError(f"vars must hold JSON values only: {exc}") from None
    return copied


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

    A value that is a :class:`pydantic.SecretStr` is a *secret var*: its
    value is written here (dbt needs it), and nowhere else: see
    :func:`secret_values`.

    Args:
        values: Variable names to JSON values, or ``None`` for no ``--vars``.

    Returns:
        The argument for ``--vars``, or ``None``. It holds the secret vars'
        values: pass it to dbt and nowhere else.

    Raises:
        DBTConfigurationError: ``values`` is not a mapping with string keys
            and JSON values (finite numbers, strings, booleans, null, lists,
            mappings, ``SecretStr``), holds text that is not Unicode (a lone
            surrogate), a key longer than dbt's reader accepts, a mapping or
            list that contains itself, or nesting deeper than
            :data:`MAX_VARS_DEPTH` levels.

    Examples:
        >>> vars_argument({"since": "2024-01-01", "limit": 3, "ratio": 1e16})
        '{"since": "2024-01-01", "limit": 3, "ratio": 1.0e+16}'
    """
    if values is None:
        return None
    return _render(checked_vars(values))


def merge_vars(bound: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``bound`` updated with ``extra`` (top-level keys replace), as a private copy.

    How every runtime combines the vars it binds (``with_vars``) with a call's
    own ``vars=``. ``extra`` is checked and copied (secret vars stay
    ``SecretStr``), so a caller that later mutates the mapping it passed
    cannot change what a bound runtime sends.

    Args:
        bound: Vars already checked (a runtime's bound vars).
        extra: Vars to add, or None.

    Returns:
        The merged vars.

    Raises:
        DBTConfigurationError: ``extra`` is not a mapping of JSON values
            (see :func:`vars_argument`).

    Examples:
        >>> merge_vars({"a": 1, "b": 2}, {"b": 3})
        {'a': 1, 'b': 3}
    """
    merged = dict(bound)
    if extra is not None:
        merged.update(checked_vars(extra))
    return merged


def secret_values(values: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The values of the secret vars (``SecretStr`` anywhere in ``values``), longest first.

    What a runtime takes out of everything it writes, logs or raises besides
    the ``--vars`` it gives dbt. Blank values are left out (as dbt does for
    its own ``DBT_ENV_SECRET_`` variables): there is nothing to hide.

    Raises:
        DBTConfigurationError: See :func:`vars_argument`.

    Examples:
        >>> from pydantic import SecretStr
        >>> secret_values({"api_key": SecretStr("s3cr3t"), "day": "2024-01-01"})
        ('s3cr3t',)
    """
    found: list[str] = []
    pending = [checked_vars(values or {})]
    while pending:
        value = pending.pop()
        if isinstance(value, SecretStr):
            revealed = value.get_secret_value()
            if revealed.strip():
                found.append(revealed)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return tuple(sorted(set(found), key=lambda secret: (-len(secret), secret)))
