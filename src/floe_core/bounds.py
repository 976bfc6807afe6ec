"""Bounded numbers: each bound of a runtime setting defined once, checked everywhere.

A setting that is a number of seconds has two limits a person can read: a
wait of ``1e12`` seconds is a hang, not a setting, and a poll every
``1e-300`` seconds is a flood of requests (3,221 in five seconds, measured),
not a faster answer. ``inf``, ``nan``, negative numbers, booleans and text
are never a duration.

The bounds live here as :data:`typing.Annotated` pydantic types. A runtime's
configuration model declares its fields with them (so ``manifest.yaml`` is
checked), and its constructor checks the same fields of the same model with
:func:`checked` (so ``LocalDBTPlugin(lock_timeout_seconds=1e12)`` is refused
exactly as ``lock_timeout_seconds: 1e12`` is): one definition, two doors.

Examples:
    >>> from pydantic import Field
    >>> from floe_core.schemas import ConfigSection
    >>> class AcmeConfig(ConfigSection):
    ...     timeout_seconds: RunTimeoutSeconds = Field(600)
    >>> checked(AcmeConfig, timeout_seconds=30)
    {'timeout_seconds': 30.0}
    >>> checked(AcmeConfig, timeout_seconds=float("inf"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    floe_core.errors.DBTConfigurationError: timeout_seconds must be a number of seconds ... got inf
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

from floe_core.errors import DBTConfigurationError

__all__ = [
    "CacheTtlHours",
    "LockTimeoutSeconds",
    "PollIntervalSeconds",
    "RemoteId",
    "RequestTimeoutSeconds",
    "RetryDelaySeconds",
    "RunTimeoutSeconds",
    "bounds_of",
    "checked",
]

_DAY = 86_400
_WEEK = 7 * _DAY


def _not_a_flag(value: Any) -> Any:
    # YAML's `true` and Python's True are ints to pydantic; as a duration they are a mistake.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


_NUMBER = BeforeValidator(_not_a_flag)


@dataclass(frozen=True)
class _Unit:
    """What a bounded number counts, and its upper bound in words (pydantic ignores it)."""

    unit: str
    upper: str


#: How long an in-process invocation waits for a lock: at most a day (a wait
#: longer than that is a stuck process, not a busy one).
LockTimeoutSeconds = Annotated[
    float, _NUMBER, Field(gt=0, le=_DAY, allow_inf_nan=False), _Unit("seconds", "a day")
]
#: The longest wait between two status checks of a remote run: from 0.05 s
#: (20 checks a second, for an emulator on loopback) to an hour.
PollIntervalSeconds = Annotated[
    float, _NUMBER, Field(ge=0.05, le=3_600, allow_inf_nan=False), _Unit("seconds", "an hour")
]
#: How long a remote run may take before it is cancelled: at most a week.
RunTimeoutSeconds = Annotated[
    float, _NUMBER, Field(gt=0, le=_WEEK, allow_inf_nan=False), _Unit("seconds", "a week")
]
#: How long cached artifacts are served: at most a year.
CacheTtlHours = Annotated[
    float, _NUMBER, Field(gt=0, le=8_760, allow_inf_nan=False), _Unit("hours", "a year")
]
#: A per-request timeout of an HTTP call (connect, read, write, pool): at most an hour.
RequestTimeoutSeconds = Annotated[
    float, _NUMBER, Field(gt=0, le=3_600, allow_inf_nan=False), _Unit("seconds", "an hour")
]
#: A wait before retrying a failed request: from 0 to an hour.
RetryDelaySeconds = Annotated[
    float, _NUMBER, Field(ge=0, le=3_600, allow_inf_nan=False), _Unit("seconds", "an hour")
]
#: An id of a remote service's object (account, job, environment): a positive 64-bit integer.
RemoteId = Annotated[int, _NUMBER, Field(gt=0, le=2**63 - 1)]


def _constraints(annotation: Any, metadata: list[Any]) -> list[Any]:
    found = list(metadata)
    for argument in typing.get_args(annotation):
        inner = getattr(argument, "metadata", None)
        if isinstance(inner, list):  # a FieldInfo inside Annotated[...]
            found += inner
        elif isinstance(argument, _Unit):
            found.append(argument)
        elif argument is not type(None):
            found += _constraints(argument, [])
    return found


def _describe(constraints: list[Any], whole: bool) -> str:
    def first(kind: type[Any], attribute: str) -> Any:
        return next((getattr(c, attribute) for c in constraints if isinstance(c, kind)), None)

    gt, ge, le, lt = (
        _number(first(kind, attribute))
        for kind, attribute in ((Gt, "gt"), (Ge, "ge"), (Le, "le"), (Lt, "lt"))
    )
    unit = next((c for c in constraints if isinstance(c, _Unit)), None)
    if ge is not None and le is not None:
        limits = f"from {ge} to {le}"
    else:
        lower = f"greater than {gt}" if gt is not None else None
        upper = f"at most {le}" if le is not None else f"below {lt}" if lt is not None else None
        limits = " and ".join(part for part in (lower, upper) if part)
    if unit is not None:
        return f"a number of {unit.unit} {limits} ({unit.upper})"
    return f"{'a whole number' if whole else 'a number'} {limits}".strip()


def _number(value: Any) -> str | None:
    if value is None:
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def _whole(annotation: Any) -> bool:
    return annotation is int or any(_whole(argument) for argument in typing.get_args(annotation))


@functools.lru_cache(maxsize=256)
def _field(model: type[BaseModel], name: str) -> tuple[TypeAdapter[Any], str]:
    field = model.model_fields[name]
    annotation: Any = (
        Annotated.__class_getitem__((field.annotation, *field.metadata))  # type: ignore[attr-defined]
        if field.metadata
        else field.annotation
    )
    constraints = _constraints(field.annotation, list(field.metadata))
    whole = _whole(field.annotation)
    return TypeAdapter(annotation), _describe(constraints, whole)


def bounds_of(model: type[BaseModel], name: str) -> str:
    """What a field of ``model`` accepts, for a message (``a number of seconds from 0.05 to 3600``).

    Raises:
        KeyError: ``model`` has no field ``name``.
    """
    return _field(model, name)[1]


def checked(model: type[BaseModel], *, prefix: str = "", **values: object) -> dict[str, Any]:
    """Check constructor arguments against the fields of the same name in ``model``.

    Args:
        model: The runtime's configuration model, whose fields carry the bounds.
        prefix: Put before a field's name in the message (``http_timeout.``).
        **values: Field name -> the value a caller passed.

    Returns:
        The validated values (``30`` becomes ``30.0`` for a float field).

    Raises:
        DBTConfigurationError: A value is outside its field's bounds (or not
            a number at all); the message names the field and what it accepts.
    """
    result: dict[str, Any] = {}
    for name, value in values.items():
        adapter, accepted = _field(model, name)
        if isinstance(value, (str, bytes)):
            # Text is how YAML spells 1e12; from Python code it is a mistake.
            raise DBTConfigurationError(
                f"{prefix}{name} must be {accepted}, got {type(value).__name__}"
            )
        try:
            result[name] = adapter.validate_python(value)
        except ValidationError as exc:
            raise DBTConfigurationError(_refusal(prefix + name, accepted, value, exc)) from None
    return result


def _refusal(name: str, accepted: str, value: object, exc: ValidationError) -> str:
    """The message for a refused value; an entry of a sequence is named by its index."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = error["loc"]
    if isinstance(value, (list, tuple)):
        if error["type"] == "too_long":
            return (
                f"{name} must have at most {error['ctx']['max_length']} entries, got {len(value)}"
            )
        if loc and isinstance(loc[0], int):
            name, value = f"{name}[{loc[0]}]", value[loc[0]]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return f"{name} must be {accepted}, got {repr(value) if number else type(value).__name__}"
