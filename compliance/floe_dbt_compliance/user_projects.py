"""The user's own dbt projects (``--floe-dbt-project PATH``): checked, then certified on.

A platform team's first question before switching runtimes is "does it do
what dbt does on *my* project?". Each project given is checked when the
session starts (:func:`check_project`: a dbt project, its packages already
installed, since ``dbt deps`` is the user's step), then copied for every run
and never touched in place: each copy gets a profile of the kit's (the
project's profile name, target ``dev``, its own DuckDB file or scratch
schema), as the kit's own projects do.

What is run on it is derived from the project's own graph
(:func:`derive_scenario`), read from the manifest plain dbt-core compiles
(:func:`read_graph`): every command the project supports (``compile``,
``run``, ``test``, and with the lifecycle capability ``seed`` and
``snapshot`` where it has seeds and snapshots, ``build``, and vars where it
declares them) and selections on its own nodes: a model, ``+model``, a tag,
a folder (``path:``), an exclusion, the tests of a model. The reference runs the same scenario on
another copy; every node's status, the counts and the relations' rows must
agree.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_dbt_compliance.errors import KitError
from floe_dbt_compliance.projects import PackageFileError, looping_link, package_entries
from floe_dbt_compliance.scenarios import Scenario, Step, step

__all__ = [
    "Graph",
    "ProjectError",
    "UserProject",
    "check_project",
    "derive_scenario",
    "read_graph",
]

# What a selector can name as is (dbt's own names are identifiers; others are left out).
_SELECTABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")


class ProjectError(KitError, ValueError):
    """A ``--floe-dbt-project`` the kit cannot certify on; the message says what to do."""


@dataclass(frozen=True)
class UserProject:
    """A project given with ``--floe-dbt-project``.

    Attributes:
        name: Its dbt name (``name:`` in ``dbt_project.yml``).
        source: Its directory, resolved (only ever read).
    """

    name: str
    source: Path

    @property
    def key(self) -> str:
        """A name for its scenarios, unique among the projects given."""
        digest = hashlib.sha256(str(self.source).encode()).hexdigest()[:8]
        return f"project-{self.name}-{digest}"

    def describe(self) -> str:
        """How the certificate names it."""
        return f"{self.name} ({self.source})"


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProjectError(f"{path} cannot be read: {exc}") from None


def _declared_packages(source: Path) -> list[str]:
    try:
        entries = package_entries(source)
    except PackageFileError as exc:
        raise ProjectError(str(exc)) from None
    return [str(one.get("package") or one.get("git") or one.get("local")) for one in entries]


def _installed_packages(source: Path, settings: Mapping[str, Any]) -> tuple[Path, list[str]]:
    where = source / str(settings.get("packages-install-path") or "dbt_packages")
    if not where.is_dir():
        return where, []
    installed = [child.name for child in where.iterdir() if (child / "dbt_project.yml").is_file()]
    return where, sorted(installed)


def check_project(path: Path) -> UserProject:
    """Check a ``--floe-dbt-project`` before anything runs.

    Raises:
        ProjectError: Not a directory with a ``dbt_project.yml`` naming the
            project, packages it declares are not installed (dbt counts
            them the same way, and refuses to parse), or a directory link in it
            loops back (its copy would never end).
    """
    source = Path(path).expanduser().resolve()
    if not (source / "dbt_project.yml").is_file():
        raise ProjectError(f"{path}: no dbt_project.yml there; give the directory of a dbt project")
    settings = _yaml(source / "dbt_project.yml")
    if not isinstance(settings, Mapping) or not settings.get("name"):
        raise ProjectError(f"{source / 'dbt_project.yml'} does not name the project (name:)")
    looping = looping_link(source)
    if looping is not None:
        link, target = looping
        raise ProjectError(
            f"{link} links to {target}, a directory that holds it: the kit copies the project "
            "with its links followed (as `dbt deps` installs local packages), and this copy "
            "would never end; remove the link or point it outside the project's tree"
        )
    declared = _declared_packages(source)
    where, installed = _installed_packages(source, settings)
    if len(installed) < len(declared):
        raise ProjectError(
            f"{source} declares {len(declared)} package(s) ({', '.join(declared)}) but "
            f"{where} holds {len(installed)}: run `dbt deps` in the project first (installing "
            "packages is the user's step; the kit copies what is installed and never runs deps)"
        )
    return UserProject(str(settings["name"]), source)


@dataclass(frozen=True)
class Graph:
    """What the kit selects from, read from a project's manifest.

    Attributes:
        models: The project's own models: name -> ``(parents, children)``,
            models of installed packages among them.
        seeds: Seed names, of the project and its packages.
        snapshots: Snapshot names, of the project and its packages.
        tags: The project's model tags, most used first.
        folders: The folders of its model files, most used first (for ``path:``).
        tested: Its models that have tests.
        vars: The project's own vars (``vars:`` of ``dbt_project.yml``, global ones).
        foreign: The schemas its nodes write to outside the copy's scratch
            schema (PostgreSQL): copies cannot be kept apart there.
    """

    models: dict[str, tuple[list[str], list[str]]]
    seeds: list[str]
    snapshots: list[str]
    tags: list[str]
    folders: list[str]
    tested: list[str]
    vars: dict[str, Any]
    foreign: list[str]

    def as_json(self) -> dict[str, Any]:
        """For the reference store (derived once per project)."""
        return {key: getattr(self, key) for key in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Graph:
        """Read back what :meth:`as_json` wrote."""
        models = {name: (list(pair[0]), list(pair[1])) for name, pair in document["models"].items()}
        return cls(
            models,
            list(document["seeds"]),
            list(document["snapshots"]),
            list(document["tags"]),
            list(document["folders"]),
            list(document["tested"]),
            dict(document["vars"]),
            list(document["foreign"]),
        )


def read_graph(
    manifest: Mapping[str, Any], project: UserProject, scratch: str | None = None
) -> Graph:
    """What the kit calls on a project, from a ``manifest.json`` dbt wrote.

    Selections name the project's own models (a package's paths and tags are
    not the project's), but edges reach into installed packages, and seeds,
    snapshots and written schemas count every package's nodes: ``dbt seed``
    loads a package's seeds too, and a project whose seeds all live in a
    package still needs them.

    Args:
        manifest: The manifest plain dbt-core compiled on a copy.
        project: The project.
        scratch: The copy's scratch schema (PostgreSQL), to name schemas outside it.
    """
    by_type: dict[str, dict[str, Mapping[str, Any]]] = {}
    for key, node in (manifest.get("nodes") or {}).items():
        if isinstance(node, Mapping):
            by_type.setdefault(str(node.get("resource_type")), {})[key] = node
    names = {key: str(node.get("name")) for key, node in by_type.get("model", {}).items()}
    models = {
        key: node
        for key, node in by_type.get("model", {}).items()
        if node.get("package_name") == project.name
    }
    parents: dict[str, list[str]] = {names[key]: [] for key in models}
    children: dict[str, list[str]] = {names[key]: [] for key in models}
    for key, node in by_type.get("model", {}).items():
        for parent in (node.get("depends_on") or {}).get("nodes") or []:
            if parent not in names:
                continue
            if key in models:
                parents[names[key]].append(names[parent])
            if parent in models:
                children[names[parent]].append(names[key])
    tags = Counter(tag for node in models.values() for tag in node.get("tags") or [])
    folders = Counter(
        Path(str(node.get("original_file_path"))).parent.as_posix() for node in models.values()
    )
    tested = {
        names[parent]
        for node in by_type.get("test", {}).values()
        for parent in (node.get("depends_on") or {}).get("nodes") or []
        if parent in models
    }
    written = [*by_type.get("model", {}).values(), *by_type.get("seed", {}).values()]
    written += by_type.get("snapshot", {}).values()
    settings = _yaml(project.source / "dbt_project.yml") or {}
    return Graph(
        models={name: (sorted(parents[name]), sorted(children[name])) for name in sorted(parents)},
        seeds=sorted(str(node.get("name")) for node in by_type.get("seed", {}).values()),
        snapshots=sorted(str(node.get("name")) for node in by_type.get("snapshot", {}).values()),
        tags=_most_used(tags),
        folders=_most_used(folders),
        tested=sorted(tested),
        vars={
            key: value
            for key, value in (settings.get("vars") or {}).items()
            if not isinstance(value, Mapping)
        },
        foreign=sorted(
            {
                str(node.get("schema"))
                for node in written
                if scratch is not None
                and (node.get("config") or {}).get("materialized") != "ephemeral"
                and node.get("schema") != scratch
                and not str(node.get("schema")).startswith(f"{scratch}_")
            }
        ),
    )


def _most_used(counted: Counter[str]) -> list[str]:
    return [name for name, _ in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]


def _chosen(graph: Graph) -> str | None:
    """The model the selections name: the most connected one (parents and children both)."""
    selectable = [name for name in graph.models if _SELECTABLE.match(name)]
    if not selectable:
        return None

    def rank(name: str) -> tuple[int, int, str]:
        parents, children = graph.models[name]
        return (-(min(len(parents), 1) + min(len(children), 1)), -len(parents + children), name)

    return sorted(selectable, key=rank)[0]


def _other_vars(declared: Mapping[str, Any]) -> dict[str, Any]:
    """The project's vars given explicitly; a list loses its last item, so that it shows."""
    return {
        key: value[:-1] if isinstance(value, list) and len(value) > 1 else value
        for key, value in declared.items()
    }


def derive_scenario(project: UserProject, graph: Graph, *, lifecycle: bool) -> Scenario:
    """The calls made on a project, on the runtime and on the reference alike.

    Args:
        project: The project.
        graph: What it holds (:func:`read_graph`).
        lifecycle: Whether the runtime has the lifecycle capability (seeds,
            snapshots, build and vars are then part of it).
    """
    steps: list[Step] = [step("compile", "compile_project")]
    if lifecycle and graph.seeds:
        steps.append(step("seed", "seed"))
    if lifecycle and graph.snapshots:
        steps.append(step("snapshot", "snapshot"))
    steps += [step("run", "run_models"), step("test", "run_tests")]
    chosen = _chosen(graph)
    if chosen is not None:
        steps += [
            step("run_model", "run_models", select=chosen),
            step("run_ancestors", "run_models", select=f"+{chosen}"),
        ]
    if graph.tags and _SELECTABLE.match(graph.tags[0]):
        steps.append(step("run_tag", "run_models", select=f"tag:{graph.tags[0]}"))
    if graph.folders and _PATH.match(graph.folders[0]):
        steps.append(step("run_path", "run_models", select=f"path:{graph.folders[0]}"))
    if chosen is not None:
        steps.append(step("run_exclude", "run_models", exclude=chosen))
        if chosen in graph.tested:
            steps.append(step("test_model", "run_tests", select=chosen))
    if lifecycle:
        steps.append(step("build", "build"))
        if graph.vars:
            steps.append(step("build_vars", "build", vars=_other_vars(graph.vars)))
    name = f"{project.key}-{'lifecycle' if lifecycle else 'contract'}"
    return Scenario(name, project.source, tuple(steps), user=True)
