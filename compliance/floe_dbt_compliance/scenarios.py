"""Scenarios: sequences of calls on one fresh copy of a dbt project, run on both sides.

A :class:`Scenario` is what the kit runs on the runtime under test and, on
another fresh copy, on the reference; each :class:`Step` is one call of the
contract (or an edit of the project between calls). Steps are plain data so
that the reference can run them in another process and its outcomes can be
memoised under :meth:`Scenario.key`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_core.vocabulary import COMMANDS as DBT_COMMANDS
from floe_core.vocabulary import LIFECYCLE_COMMANDS, RUN_FLAG_OPTIONS
from floe_dbt_compliance.errors import ScenarioError
from floe_dbt_compliance.projects import ProjectCopy, copy_tree, fixture_dir, project_fingerprint
from floe_dbt_compliance.warehouse import Warehouse

__all__ = [
    "COMMANDS",
    "KEEP_STATE",
    "LIFECYCLE_METHODS",
    "Scenario",
    "Step",
    "apply_change",
    "edit",
    "keep_state",
    "link",
    "step",
    "write_state",
]

#: The method of a step that keeps the latest manifest as a state directory.
KEEP_STATE = "keep_state"

# From floe_core.vocabulary's table, the one place dbt's commands are written down.
#: The dbt command each method of the contract (and of the lifecycle capability) invokes.
COMMANDS = {command.method: command.name for command in DBT_COMMANDS.values()}
LIFECYCLE_METHODS = frozenset(command.method for command in LIFECYCLE_COMMANDS)
#: The keyword arguments each method takes besides the project, profiles and target.
OPTIONS = {
    command.method: frozenset(option.value for option in command.options)
    for command in DBT_COMMANDS.values()
}


@dataclass(frozen=True)
class Step:
    """One call on the scenario's project, or a change of it (a file rewritten, a link, a state).

    Attributes:
        key: The step's name within its scenario (``select``, ``bad_target_run`` ...).
        method: A method of :data:`COMMANDS`, ``edit``, ``link`` or :data:`KEEP_STATE`.
        options: The call's keyword arguments (``select``, ``exclude``,
            ``full_refresh``, ``vars``).
        target: A target other than the copy's, when the step is about targets.
        bound_vars: Vars bound with ``with_vars`` before the call (lifecycle only).
        project_dir: The directory the call names as its project, relative to
            the copy, when the step is about one that cannot be used (a link
            the scenario made); the copy itself by default.
        path: For an edit or a link: the file, relative to the project; for
            :data:`KEEP_STATE`: the state directory, relative to the project.
        text: For an edit: its new content; for a link: where it points.
        fail_fast: Bound with ``with_fail_fast()`` before the call (fail-fast capability).
        state: Bound with ``with_state(<copy>/<state>)`` before the call (state capability).
        defer: ``with_state(..., defer=True)``.
    """

    key: str
    method: str
    options: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None
    bound_vars: Mapping[str, Any] | None = None
    project_dir: str | None = None
    path: str | None = None
    text: str | None = None
    fail_fast: bool = False
    state: str | None = None
    defer: bool = False

    @property
    def command(self) -> str | None:
        """The dbt command the step invokes, ``None`` for an edit or a link."""
        return COMMANDS.get(self.method)

    @property
    def lifecycle(self) -> bool:
        """Whether the step needs the lifecycle capability."""
        return self.method in LIFECYCLE_METHODS or self.bound_vars is not None

    @property
    def needs(self) -> frozenset[str]:
        """The capabilities it needs, by name: ``lifecycle``, ``fail_fast``, ``state``."""
        needed = {"lifecycle"} if self.lifecycle else set()
        if self.fail_fast:
            needed.add("fail_fast")
        if self.state is not None:
            needed.add("state")
        return frozenset(needed)

    @property
    def label(self) -> str:
        """How a person would write the call."""
        if self.method == "edit":
            return f"edit {self.path}"
        if self.method == "link":
            return f"link {self.path} -> {self.text}"
        if self.method == KEEP_STATE:
            return f"keep get_manifest() as {self.path}/manifest.json"
        shown = [f"{name}={value!r}" for name, value in self.options.items()]
        if self.project_dir is not None:
            shown.insert(0, f"project_dir=<copy>/{self.project_dir}")
        if self.target is not None:
            shown.insert(0, f"target={self.target!r}")
        call = f"{self.method}({', '.join(shown)})"
        if self.bound_vars is not None:
            call = f"with_vars({dict(self.bound_vars)!r}).{call}"
        if self.state is not None:
            deferred = ", defer=True" if self.defer else ""
            call = f"with_state(<copy>/{self.state}{deferred}).{call}"
        if self.fail_fast:
            call = f"with_fail_fast().{call}"
        return call

    def as_json(self) -> dict[str, Any]:
        """The step as the reference worker reads it."""
        return {
            "key": self.key,
            "method": self.method,
            "options": dict(self.options),
            "target": self.target,
            "bound_vars": None if self.bound_vars is None else dict(self.bound_vars),
            "project_dir": self.project_dir,
            "path": self.path,
            "text": self.text,
            "fail_fast": self.fail_fast,
            "state": self.state,
            "defer": self.defer,
        }


def step(
    key: str,
    method: str,
    *,
    target: str | None = None,
    project_dir: str | None = None,
    **options: Any,
) -> Step:
    """Build a call step, checking its options against the method's signature.

    Raises:
        ScenarioError: An option the method does not take.
    """
    unknown = set(options) - set(_BOUND) - OPTIONS[method]
    if unknown:
        raise ScenarioError(f"{method} takes no {sorted(unknown)}")
    bound = {name: options.pop(name) for name in _BOUND if name in options}
    if bound.get("defer") and bound.get("state") is None:
        raise ScenarioError("defer=True needs a state")
    return Step(key, method, options, target=target, project_dir=project_dir, **bound)


# What a step binds on the runtime before its call (``with_vars``, ``with_fail_fast`` ...).
_BOUND = ("bound_vars", *(option.value for option in RUN_FLAG_OPTIONS))


def edit(key: str, path: str, text: str) -> Step:
    """Build a step that rewrites one file of the project."""
    return Step(key, "edit", path=path, text=text)


def link(key: str, path: str, points_to: str) -> Step:
    """Build a step that makes ``path`` a symbolic link to ``points_to`` (as written)."""
    return Step(key, "link", path=path, text=points_to)


def keep_state(key: str, path: str) -> Step:
    """Build a step that keeps the latest manifest (``get_manifest()``) as ``path/manifest.json``.

    What a CI script does with production's manifest before a slim CI run:
    the runtime's own latest manifest (its relations, in its own warehouse
    place) becomes the state a later ``with_state`` step compares with.
    """
    return Step(key, KEEP_STATE, path=path)


def write_state(project_dir: Path, step: Mapping[str, Any], manifest: Mapping[str, Any]) -> None:
    """Write a :func:`keep_state` step's manifest into its state directory in a copy."""
    directory = project_dir / str(step["path"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def apply_change(project_dir: Path, step: Mapping[str, Any]) -> None:
    """Make an edit or link step's change in a copy (the runtime's, or the reference's).

    Args:
        project_dir: The copy.
        step: The step, as :meth:`Step.as_json` writes it.
    """
    path = project_dir / str(step["path"])
    if step["method"] == "link":
        path.parent.mkdir(parents=True, exist_ok=True)  # dbt_packages/ before `dbt deps` ran
        os.symlink(str(step["text"]), path)
    else:
        path.write_text(str(step["text"]), encoding="utf-8")


@dataclass(frozen=True)
class Scenario:
    """Steps on one fresh copy of one project.

    Attributes:
        name: The scenario's name (``healthy``, ``generated-3`` ...).
        source: The project's source directory (a fixture project's, or a
            generated one).
        steps: In order.
        user: The project is a user's (``--floe-dbt-project``): its copies get a
            profile of the kit's (:func:`~floe_dbt_compliance.projects.copy_tree`).
    """

    name: str
    source: Path
    steps: tuple[Step, ...]
    user: bool = False

    def copy(self, destination: Path, warehouse: Warehouse | None = None) -> ProjectCopy:
        """A fresh copy of the scenario's project, on its own place in ``warehouse``."""
        return copy_tree(self.source, destination, warehouse, user=self.user)

    @classmethod
    def on_fixture(cls, name: str, project: str, *steps: Step) -> Scenario:
        """A scenario on one of the kit's fixture projects."""
        return cls(name, fixture_dir(project), steps)

    def index(self, key: str) -> int:
        """The position of step ``key``.

        Raises:
            ScenarioError: No such step.
        """
        for position, candidate in enumerate(self.steps):
            if candidate.key == key:
                return position
        raise ScenarioError(f"scenario {self.name!r} has no step {key!r}")

    def key(self) -> str:
        """What the reference's outcomes are memoised under: the steps and the project's files."""
        steps = json.dumps([s.as_json() for s in self.steps], sort_keys=True, default=str)
        digest = hashlib.sha256(steps.encode() + project_fingerprint(self.source).encode())
        return f"{self.name}-{digest.hexdigest()[:20]}"

    @property
    def lifecycle(self) -> bool:
        """Whether any step needs the lifecycle capability."""
        return any(candidate.lifecycle for candidate in self.steps)
