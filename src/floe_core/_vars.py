"""Private: the vars of a dbt invocation, checked once, rendered once for ``--vars``.

Public through :mod:`floe_core.selectors` (:class:`DbtVars`, and the
functions ``vars_argument``, ``merge_vars``, ``secret_values`` over it); see
there. Everything here walks a value whose depth is bounded
(:data:`MAX_VARS_DEPTH`) and refuses one that contains itself, so no input can
make it recurse out of the stack.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import SecretStr

from floe_core._credentials import shown
from floe_core._yaml import MAX_DEPTH, YamlProblem, load_yaml
from floe_core.errors import DBTConfigurationError

__all__ = ["MAX_VARS_DEPTH", "DbtVars", "merge_vars", "secret_values", "vars_argument"]

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


def _checked(values: object) -> tuple[dict[str, Any], dict[str, str]]:
    """A private, checked copy of ``values`` and each top-level value rendered once."""
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
        # int-to-text past Python's digit limit fails here, not when dbt is called.
        rendered = {key: _render(item) for key, item in copied.items()}
    except (_Refused, ValueError) as exc:
        raise DBTConfigurationError(f"vars must hold JSON values only: {exc}") from None
    return copied, rendered


def _secrets_in(values: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    pending: list[Any] = list(values.values())
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


class DbtVars(Mapping[str, Any]):
    r"""The vars of a dbt invocation: checked once, rendered once as dbt's ``--vars``.

    Built from a mapping of variable names to JSON values (finite numbers,
    strings, booleans, null, lists, mappings) and :class:`pydantic.SecretStr`
    values (*secret vars*), checked and copied when built, so a caller that
    later changes the mapping it passed changes nothing. It is a read-only
    mapping (reading a value gives a copy), so it can be handed to any
    runtime's ``with_vars`` or ``vars=``; a runtime given a ``DbtVars`` does
    not check it again.

    dbt reads ``--vars`` as YAML 1.1 (PyYAML), which is not quite a superset
    of JSON: ``1e+16`` is a *string* there (a float needs a dot), the
    ``\ud83d\ude00`` escapes JSON uses beyond the BMP are a syntax error, a
    few characters JSON leaves as they are are not allowed or are line
    breaks, and a mapping key may not be longer than 1024 characters.
    :meth:`render` writes one document both readers agree on: exponent floats
    get a ``.0`` (``1.0e+16``), text is written as itself except for the
    characters YAML would misread (escaped as ``\uXXXX``), and a key too long
    for dbt is refused. :meth:`parse` is the other side: it reads such a
    document (or any ``--vars`` text a person writes) back into the same value.

    A secret var's value is written by :meth:`render` (dbt needs it) and
    nowhere else: the repr names the vars, never their values, and
    :attr:`secrets` lists what a runtime must take out of everything else.

    Args:
        values: Variable names to values; ``None`` for none.

    Raises:
        DBTConfigurationError: ``values`` is not a mapping with non-empty
            string keys and JSON values, holds text that is not Unicode (a
            lone surrogate), a key longer than dbt's reader accepts, a mapping
            or list that contains itself, or nesting deeper than
            :data:`MAX_VARS_DEPTH` levels.

    Examples:
        >>> dbt_vars = DbtVars({"since": "2024-01-01", "limit": 3, "ratio": 1e16})
        >>> dbt_vars.render()
        '{"since": "2024-01-01", "limit": 3, "ratio": 1.0e+16}'
        >>> DbtVars.parse(dbt_vars.render()) == dbt_vars
        True
        >>> dbt_vars.merged({"limit": 5})
        DbtVars(['limit', 'ratio', 'since'])
    """

    __slots__ = ("_document", "_rendered", "_values")
    EMPTY: ClassVar[DbtVars]

    _values: dict[str, Any]
    _rendered: dict[str, str]
    _document: str | None

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values, self._rendered = _checked({} if values is None else values)
        self._document = None

    @classmethod
    def _made(cls, values: dict[str, Any], rendered: dict[str, str]) -> DbtVars:
        made = cls.__new__(cls)
        made._values, made._rendered, made._document = values, rendered, None
        return made

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> DbtVars:
        """``values`` itself when it is a ``DbtVars`` (checked already), else checked now.

        Raises:
            DBTConfigurationError: See :class:`DbtVars`.
        """
        if isinstance(values, DbtVars):
            return values
        return cls.EMPTY if values is None else cls(values)

    @classmethod
    def parse(cls, text: str) -> DbtVars:
        """Read ``--vars`` text as dbt does (a YAML or JSON mapping), then check it.

        The reader is floe's bounded YAML reader (nesting, aliases, repeated
        keys, text that is not Unicode): what :meth:`render` writes reads back
        as the same value, and as the same value with dbt's own reader. Dates
        and numbers written with leading zeros stay the text they are.
        An empty document is no vars.

        Raises:
            DBTConfigurationError: The text is not YAML, not a mapping, or not
                vars (see :class:`DbtVars`).

        Examples:
            >>> DbtVars.parse("{start_date: 2024-01-01, limit: 3}")["start_date"]
            '2024-01-01'
        """
        try:
            document, _tree = load_yaml(text, shown_key=lambda key: shown(key, what="key"))
        except YamlProblem as exc:
            if exc.reason.startswith("is not UTF-8 text"):
                raise DBTConfigurationError(exc.reason) from None
            raise DBTConfigurationError(f"not a YAML or JSON mapping: {exc.reason}") from None
        if document is None:
            return cls.EMPTY
        if not isinstance(document, dict):
            raise DBTConfigurationError(
                "must be a YAML or JSON mapping of variable names to values, "
                "e.g. --vars '{start_date: 2024-01-01}'"
            )
        return cls(document)

    def merged(self, extra: Mapping[str, Any] | None) -> DbtVars:
        """These vars updated with ``extra`` (top-level keys replace, as ``dict.update``).

        How every runtime combines the vars it binds (``with_vars``) with a
        call's own ``vars=``; only ``extra`` is checked (when it is not a
        ``DbtVars`` already), and nothing is rendered again.

        Raises:
            DBTConfigurationError: ``extra`` is not vars (see :class:`DbtVars`).
        """
        if extra is None:
            return self
        added = DbtVars.of(extra)
        if not added:
            return self
        if not self:
            return added
        return DbtVars._made(
            {**self._values, **added._values}, {**self._rendered, **added._rendered}
        )

    def render(self) -> str:
        """The one ``--vars`` document dbt reads back as these vars.

        It holds the secret vars' values: give it to dbt and to nothing else.
        """
        if self._document is None:
            pairs = (f"{_text(key)}: {value}" for key, value in self._rendered.items())
            self._document = "{" + ", ".join(pairs) + "}"
        return self._document

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values of the secret vars (``SecretStr`` anywhere inside), longest first.

        What a runtime takes out of everything it writes, logs or raises
        besides the ``--vars`` it gives dbt. Blank values are left out (as dbt
        does for its own ``DBT_ENV_SECRET_`` variables): there is nothing to hide.
        """
        return _secrets_in(self._values)

    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        # Names only: a var's value may be a credential.
        return f"{type(self).__name__}({sorted(self._values)!r})"


DbtVars.EMPTY = DbtVars()


def vars_argument(values: Mapping[str, Any] | None) -> str | None:
    """Render dbt ``--vars`` from a mapping: :meth:`DbtVars.render`, or ``None`` for ``None``.

    Returns:
        The argument for ``--vars``, or ``None``. It holds the secret vars'
        values: pass it to dbt and nowhere else.

    Raises:
        DBTConfigurationError: See :class:`DbtVars`.

    Examples:
        >>> vars_argument({"since": "2024-01-01", "limit": 3, "ratio": 1e16})
        '{"since": "2024-01-01", "limit": 3, "ratio": 1.0e+16}'
    """
    return None if values is None else DbtVars.of(values).render()


def merge_vars(bound: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``bound`` updated with ``extra`` (top-level keys replace), as a private copy.

    :meth:`DbtVars.merged` as a plain ``dict`` (secret vars stay ``SecretStr``).

    Raises:
        DBTConfigurationError: ``bound`` or ``extra`` is not vars (see :class:`DbtVars`).

    Examples:
        >>> merge_vars({"a": 1, "b": 2}, {"b": 3})
        {'a': 1, 'b': 3}
    """
    return dict(DbtVars.of(bound).merged(extra))


def secret_values(values: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The values of the secret vars in ``values``, longest first: :attr:`DbtVars.secrets`.

    Raises:
        DBTConfigurationError: See :class:`DbtVars`.

    Examples:
        >>> from pydantic import SecretStr
        >>> secret_values({"api_key": SecretStr("s3cr3t"), "day": "2024-01-01"})
        ('s3cr3t',)
    """
    return DbtVars.of(values).secrets
