"""Private: turning pydantic failures into problems a person can fix.

Each problem names the key (dotted path), its line in the file, and what to
do. Input values are never quoted; keys are, unless they look like a
credential (see :mod:`floe_core._credentials`).
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from floe_core._credentials import looks_like_credential, shown
from floe_core._yaml import LineIndex, YamlProblem, load_yaml
from floe_core.errors import ManifestError, ManifestProblem, UnreadableFile
from floe_core.files import read_text

__all__ = [
    "IN_MEMORY",
    "ManifestSource",
    "close_match",
    "load_config_file",
    "location",
    "problems_from_validation_error",
    "raise_for",
    "sort_problems",
]

Loc = Sequence[str | int]
# Past this many unknown keys in one mapping, the list of valid keys helps more
# than a guess for each, and costs nothing per key.
_SUGGESTED = 20
_SHOWN_KEY = 60


@dataclass
class ManifestSource:
    """Where a manifest came from, to put a line on each problem."""

    path: Path
    lines: LineIndex

    @classmethod
    def of(cls, path: Path, root: yaml.Node | None) -> ManifestSource:
        """The source of a file and its node tree."""
        return cls(path, LineIndex(root))

    def problem(self, loc: Loc, message: str) -> ManifestProblem:
        """A problem at ``loc``, on the line of that key."""
        return ManifestProblem(location(loc), self.lines.line(list(loc)), message)


IN_MEMORY = ManifestSource(Path("(manifest given in code)"), LineIndex(None))


def location(loc: Loc) -> str:
    """The dotted key path a person reads; keys that look like credentials are hidden."""
    parts = [str(part) if isinstance(part, int) else _key(part) for part in loc]
    return ".".join(parts) or "(top level)"


@functools.lru_cache(maxsize=4096)
def _key(part: str) -> str:
    if looks_like_credential(part) or not part.isprintable():
        return "<key not shown>"
    return part if len(part) <= _SHOWN_KEY else part[: _SHOWN_KEY - 3] + "..."


def close_match(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a mistyped word, if one is close enough.

    The choices are few (the keys of one section, the installed plugins);
    the word is cut to a length none of them exceeds by much, so the cost stays
    linear in the number of mistakes whatever is in the file.
    """
    options = list(choices)
    longest = max((len(option) for option in options), default=0)
    matches = difflib.get_close_matches(word[: longest + 8], options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def problems_from_validation_error(
    error: ValidationError, *, source: ManifestSource, prefix: Loc, model: type[BaseModel]
) -> list[ManifestProblem]:
    """Locate each of pydantic's errors in the file and say what to do about it.

    Args:
        error: What the model refused.
        source: The file, for line numbers.
        prefix: Where the validated section sits in the file.
        model: The model that validated it, for the valid keys.

    Returns:
        One problem per error, unsorted.
    """
    # include_input=False: pydantic's inputs are user values, and rendering an
    # expanded value can be arbitrarily expensive.
    details = error.errors(include_url=False, include_context=False, include_input=False)
    unknown = Counter(
        tuple(detail["loc"][:-1]) for detail in details if detail["type"] == "extra_forbidden"
    )
    return [
        _problem(
            detail,
            source,
            prefix,
            model,
            suggest=unknown[tuple(detail["loc"][:-1])] <= _SUGGESTED,
        )
        for detail in details
    ]


def _problem(
    detail: ErrorDetails,
    source: ManifestSource,
    prefix: Loc,
    model: type[BaseModel],
    *,
    suggest: bool,
) -> ManifestProblem:
    relative = [part for part in detail["loc"] if isinstance(part, (str, int))]
    loc = [*prefix, *relative]
    kind = detail["type"]
    if kind == "extra_forbidden" and relative:
        key = str(relative[-1])
        valid = _fields_at(model, tuple(relative[:-1]))
        close = close_match(key, valid) if suggest else None
        hint = f"did you mean '{close}'?" if close else f"valid keys: {', '.join(valid)}"
        message = f"unknown key {shown(key, what='key')}; {hint}"
    elif kind == "missing":
        message = f"required key '{loc[-1]}' is missing" if loc else "required key is missing"
    else:
        message = detail["msg"].removeprefix("Value error, ")
    return source.problem(loc, message)


@functools.lru_cache(maxsize=256)
def _fields_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """The field names (sorted) of the model found by walking ``loc`` through annotations."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            return ()
        current = next((arg for arg in _flatten(field.annotation) if _is_model(arg)), None)
    return tuple(sorted(current.model_fields)) if _is_model(current) else ()


def _flatten(annotation: Any) -> list[Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [arg for inner in typing.get_args(annotation) for arg in _flatten(inner)]
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def sort_problems(problems: Iterable[ManifestProblem]) -> list[ManifestProblem]:
    """Problems in file order (line, then key)."""
    return sorted(problems, key=lambda problem: (problem.line or 0, problem.location))


def raise_for(source: ManifestSource, problems: list[ManifestProblem]) -> None:
    """Raise :class:`ManifestError` listing ``problems`` in file order, if there are any."""
    if problems:
        raise ManifestError(source.path, sort_problems(problems))


def load_config_file(path: Path, *, what: str) -> tuple[Any, yaml.Node | None]:
    """Read a YAML configuration file within the limits of :mod:`floe_core._yaml`.

    Args:
        path: The file.
        what: What it should be (``manifest`` ...), for messages.

    Returns:
        The data and its node tree.

    Raises:
        ManifestError: The file cannot be read, is not YAML, or is outside the limits.
    """
    try:
        text = read_text(path, what=what)
        return load_yaml(text, shown_key=lambda key: shown(key, what="key"))
    except UnreadableFile as exc:
        raise ManifestError(path, [ManifestProblem("(file)", None, exc.reason)]) from None
    except YamlProblem as exc:
        where = "(file)" if exc.loc is None else location(exc.loc)
        raise ManifestError(path, [ManifestProblem(where, exc.line, exc.reason)]) from None
