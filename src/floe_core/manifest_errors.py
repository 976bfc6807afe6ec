"""Turning YAML and pydantic failures into problems a person can fix.

Each problem names the key (dotted path), its line in the file, and what to do.
Input values are never quoted, except the choice of runtime name, which is
not secret and is what the user needs to see.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from floe_core.errors import DBTConfigurationError

__all__ = ["ManifestError", "ManifestProblem", "line_of", "load_yaml_document"]


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong with a configuration file."""

    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location} (line {self.line})" if self.line else self.location
        return f"{where}: {self.message}"


class ManifestError(DBTConfigurationError):
    """A configuration file is missing, unreadable or invalid.

    Attributes:
        path: The file.
        problems: Every problem found, in file order.
    """

    def __init__(self, path: Path, problems: list[ManifestProblem]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path} is not a valid manifest:\n{listing}")

    @classmethod
    def from_validation_error(
        cls, path: Path, error: ValidationError, tree: yaml.Node | None, model: type[BaseModel]
    ) -> ManifestError:
        """Build the error from pydantic's, locating each problem in the YAML tree."""
        problems = [_problem(detail, tree, model) for detail in error.errors()]
        problems.sort(key=lambda problem: (problem.line or 0, problem.location))
        return cls(path, problems)


def load_yaml_document(path: Path) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file as data and as a node tree (for line numbers).

    Raises:
        ManifestError: The file cannot be read, is not YAML, or is not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = ManifestProblem("(file)", None, f"cannot read: {exc.strerror}")
        raise ManifestError(path, [problem]) from None
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "not valid YAML"
        problem = ManifestProblem("(file)", line, f"invalid YAML: {reason}")
        raise ManifestError(path, [problem]) from None
    if not isinstance(document, dict):
        raise ManifestError(
            path,
            [
                ManifestProblem(
                    "(file)", 1, "must be a YAML mapping with a top-level 'plugins:' key"
                )
            ],
        )
    return document, tree


def _problem(
    detail: ErrorDetails, tree: yaml.Node | None, model: type[BaseModel]
) -> ManifestProblem:
    loc = [part for part in detail["loc"] if isinstance(part, (str, int))]
    location = ".".join(str(part) for part in loc) or "(top level)"
    line = line_of(tree, loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = sorted(_fields_at(model, loc[:-1]))
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(valid)}"
        message = f"unknown key '{key}'; {hint}"
    elif kind == "missing":
        message = f"required key '{loc[-1]}' is missing" if loc else "required key is missing"
    elif kind == "literal_error" and loc[-1:] == ["dbt_runtime"]:
        expected = detail.get("ctx", {}).get("expected", "")
        got = detail["input"]
        shown = repr(got) if isinstance(got, str) and len(got) < 40 else "another value"
        close = difflib.get_close_matches(str(got), ["local", "cloud", "fusion"], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        message = f"must be one of {expected}, got {shown}{hint}"
    else:
        message = detail["msg"].removeprefix("Value error, ")
    return ManifestProblem(location, line, message)


def _fields_at(model: type[BaseModel], loc: list[str | int]) -> set[str]:
    """The field names of the model found by walking ``loc`` through annotations."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            return set()
        current = next((arg for arg in _flatten(field.annotation) if _is_model(arg)), None)
    return set(current.model_fields) if _is_model(current) else set()


def _flatten(annotation: Any) -> list[Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [arg for inner in typing.get_args(annotation) for arg in _flatten(inner)]
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def line_of(tree: yaml.Node | None, loc: list[str | int]) -> int | None:
    """1-based line of the key at ``loc``; of its closest existing parent when it is missing."""
    node = tree
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == part), None)
            if match is None:
                return line
            line = match[0].start_mark.line + 1
            node = match[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
