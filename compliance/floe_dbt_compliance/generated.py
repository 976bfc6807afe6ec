"""Generated dbt projects: hypothesis strategies for projects a vendor never wrote tests for.

A :class:`ProjectSpec` is a random DAG of models (view, table, incremental or
ephemeral; in two folders; tagged; the odd-numbered marts models in a
local package, ``gen_pkg``, declared in ``packages.yml``, that refs models
of the project and is ref'd by them), generic and singular tests with planted
failures and warnings, planted SQL errors, and three calls with random
selectors: graph operators (``+``, ``@``, ``N+``), tags, paths, unions and
intersections, and exclusions. :func:`write_project` renders it as a dbt
project; the kit runs its calls on the runtime and on the reference.
Everything is plain data, so hypothesis shrinks a failing project to a
minimal one and prints it (:meth:`ProjectSpec.listing`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import configuration
from hypothesis import strategies as st

from floe_dbt_compliance.scenarios import Step, link, step

__all__ = [
    "ModelSpec",
    "ProjectSpec",
    "TestSpec",
    "hypothesis_storage",
    "projects",
    "write_project",
]

MATERIALIZATIONS = ("view", "table", "incremental", "ephemeral")
FOLDERS = ("core", "marts")
TAGS = ("hot", "cold")
LETTERS = "abcd"
PROFILE = """generated:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: generated.duckdb
      threads: 1
"""
PROJECT = """name: generated
version: "1.0.0"
config-version: 2
profile: generated
model-paths: ["models"]
test-paths: ["tests"]
target-path: target
"""
PACKAGE = "gen_pkg"
PACKAGE_DIR = f"packages/{PACKAGE}"
PACKAGE_PROJECT = f"""name: {PACKAGE}
version: "1.0.0"
config-version: 2
"""
PACKAGES = f"packages:\n  - local: {PACKAGE_DIR}\n"


@dataclass(frozen=True)
class ModelSpec:
    """One model: ``m<index>``."""

    index: int
    materialized: str
    parents: tuple[int, ...]
    folder: str
    tags: tuple[str, ...]
    rows: int
    broken: bool

    @property
    def name(self) -> str:
        """The model's name."""
        return f"m{self.index}"

    @property
    def packaged(self) -> bool:
        """Whether it lives in the local package: a marts model with an odd index.

        Derived from what is drawn, not drawn itself, so that a seed draws the
        projects it drew before the package existed (the kit's own tests pin
        seeds whose projects expose their broken runtimes); shrinking a model
        into the core folder or to another index moves it out of the package.
        """
        return self.folder == "marts" and self.index % 2 == 1

    @property
    def path(self) -> str:
        """The model's file, relative to the project (in the package's directory when packaged)."""
        where = f"{PACKAGE_DIR}/models" if self.packaged else "models"
        return f"{where}/{self.folder}/{self.name}.sql"

    def sql(self) -> str:
        """The model's SQL file."""
        tags = ", ".join(repr(tag) for tag in self.tags)
        config = f"materialized='{self.materialized}', tags=[{tags}]"
        if self.materialized == "incremental":
            config += ", unique_key='id'"
        lines = [f"{{{{ config({config}) }}}}"]
        extra = ", no_such_column" if self.broken else ""
        mode = ""
        if self.materialized == "incremental":
            mode = ', \'{{ "incremental" if is_incremental() else "full" }}\' as load_mode'
        if not self.parents:
            values = ", ".join(
                f"({i}, '{LETTERS[i % len(LETTERS)]}')" for i in range(1, self.rows + 1)
            )
            # dbt model text written to a file, never a query the kit runs itself
            lines.append(f"select id, v{extra}{mode} from (values {values}) as t(id, v)")  # noqa: S608
        else:
            first, *others = self.parents
            lines.append(f"select p.id, p.v{extra}{mode} from {{{{ ref('m{first}') }}}} as p")  # noqa: S608
            for other in others:
                lines.append(f"where p.id in (select id from {{{{ ref('m{other}') }}}})")  # noqa: S608
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TestSpec:
    """One test on a model: ``not_null``, ``accepted_values`` or a singular one."""

    kind: str
    model: int
    fails: bool
    severity: str


@dataclass(frozen=True)
class ProjectSpec:
    """A generated project and the calls made on it."""

    models: tuple[ModelSpec, ...]
    tests: tuple[TestSpec, ...]
    steps: tuple[Step, ...]

    @property
    def packaged(self) -> bool:
        """Whether some models live in the local package."""
        return any(model.packaged for model in self.models)

    @property
    def setup(self) -> tuple[Step, ...]:
        """What a user does before the calls: install the package as ``dbt deps`` does (a link)."""
        if not self.packaged:
            return ()
        return (link("deps", f"dbt_packages/{PACKAGE}", f"../{PACKAGE_DIR}"),)

    def files(self) -> dict[str, str]:
        """Relative path -> content of every file of the project."""
        files = {"dbt_project.yml": PROJECT, "profiles.yml": PROFILE}
        if self.packaged:
            files["packages.yml"] = PACKAGES
            files[f"{PACKAGE_DIR}/dbt_project.yml"] = PACKAGE_PROJECT
        for model in self.models:
            files[model.path] = model.sql()
        generic = [test for test in self.tests if test.kind != "singular"]
        # A model's properties live in its own package: dbt refuses them anywhere else.
        for packaged, directory in ((False, "models"), (True, f"{PACKAGE_DIR}/models")):
            mine = [t for t in generic if self.models[t.model].packaged == packaged]
            if mine:
                files[f"{directory}/schema.yml"] = _schema(mine)
        for number, test in enumerate(self.tests):
            if test.kind == "singular":
                bound = 0 if test.fails else 1000
                files[f"tests/t{number}_m{test.model}.sql"] = (
                    f"{{{{ config(severity='{test.severity}') }}}}\n"
                    f"select * from {{{{ ref('m{test.model}') }}}} where id > {bound}\n"
                )
        return files

    def listing(self) -> str:
        """The project and its calls, as a person would read them in a failure."""
        parts = [f"--- {path}\n{content}" for path, content in sorted(self.files().items())]
        calls = (*self.setup, *self.steps)
        parts.append("--- calls\n" + "\n".join(candidate.label for candidate in calls))
        return "\n".join(parts)


def _schema(generic: list[TestSpec]) -> str:
    lines = ["version: 2", "models:"]
    for tested in sorted({test.model for test in generic}):
        lines += [f"  - name: m{tested}", "    columns:"]
        for column in ("id", "v"):
            mine = [t for t in generic if t.model == tested and _column(t) == column]
            if mine:
                lines += [f"      - name: {column}", "        data_tests:"]
                lines += [_generic(test) for test in mine]
    return "\n".join(lines) + "\n"


def _column(test: TestSpec) -> str:
    return "id" if test.kind == "not_null" else "v"


def _generic(test: TestSpec) -> str:
    config = f"config: {{severity: {test.severity}}}"
    if test.kind == "not_null":
        return f"          - not_null:\n              {config}"
    values = ["a"] if test.fails else list(LETTERS)
    return f"          - accepted_values:\n              values: {values}\n              {config}"


def write_project(spec: ProjectSpec, destination: Path) -> Path:
    """Render ``spec`` as a dbt project in ``destination/generated``; return its directory."""
    root = destination / "generated"
    for relative, content in spec.files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


@st.composite
def _models(draw: st.DrawFn) -> tuple[ModelSpec, ...]:
    count = draw(st.integers(min_value=2, max_value=6))
    models = []
    for index in range(count):
        parents: tuple[int, ...] = ()
        if index:
            parents = tuple(
                draw(st.lists(st.integers(0, index - 1), min_size=0, max_size=2, unique=True))
            )
        models.append(
            ModelSpec(
                index=index,
                materialized=draw(st.sampled_from(MATERIALIZATIONS)),
                parents=parents,
                folder=draw(st.sampled_from(FOLDERS)),
                tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
                rows=draw(st.integers(min_value=1, max_value=4)),
                broken=draw(st.integers(0, 9)) == 0,
            )
        )
    return tuple(models)


def _atoms(models: tuple[ModelSpec, ...]) -> st.SearchStrategy[str]:
    names = [model.name for model in models]
    return st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(lambda name: f"+{name}"),
        st.sampled_from(names).map(lambda name: f"{name}+"),
        st.sampled_from(names).map(lambda name: f"1+{name}"),
        st.sampled_from(names).map(lambda name: f"@{name}"),
        st.sampled_from(TAGS).map(lambda tag: f"tag:{tag}"),
        st.sampled_from(FOLDERS).map(lambda folder: f"path:models/{folder}"),
    )


@st.composite
def projects(draw: st.DrawFn) -> ProjectSpec:
    """A random project and three calls on it (see the module docstring)."""
    models = draw(_models())
    testable = [model.index for model in models if model.materialized != "ephemeral"]
    tests: tuple[TestSpec, ...] = ()
    if testable:
        tests = tuple(
            draw(
                st.lists(
                    st.builds(
                        TestSpec,
                        kind=st.sampled_from(("not_null", "accepted_values", "singular")),
                        model=st.sampled_from(testable),
                        fails=st.booleans(),
                        severity=st.sampled_from(("error", "warn")),
                    ),
                    max_size=4,
                )
            )
        )
    atoms = _atoms(models)
    names = [model.name for model in models]
    union = st.lists(atoms, min_size=1, max_size=2).map(" ".join)
    # "@x" differs from "x+" only through the ancestors it adds: aim it at a model
    # that has some, or it cannot tell the two operators apart.
    joined = [model.name for model in models if model.parents] or names
    at = st.sampled_from(joined).map(lambda name: f"@{name}")
    steps = (
        step(
            "run",
            "run_models",
            select=draw(st.one_of(at, st.tuples(at, atoms).map(" ".join))),
            exclude=draw(st.one_of(st.none(), union)),
        ),
        step("test", "run_tests", select=draw(st.one_of(st.none(), union))),
        step(
            "run_again",
            "run_models",
            select=draw(st.tuples(atoms, atoms).map(",".join)),
            full_refresh=draw(st.booleans()),
        ),
    )
    return ProjectSpec(models, tests, steps)


@contextlib.contextmanager
def hypothesis_storage(directory: Path) -> Iterator[None]:
    """Keep hypothesis's files in ``directory`` while the block draws projects.

    Hypothesis writes under ``./.hypothesis`` even with no example database
    (a cache of the constants it reads in local modules): the kit writes
    nothing into the user's working directory but its report directory, so
    while it draws, hypothesis's home is the session's temporary directory.
    The home in force before (the user's own tests may run in this session)
    is put back afterwards.
    """
    # The module global set_hypothesis_home_dir() writes; None means "not decided yet".
    previous = vars(configuration).get("__hypothesis_home_directory")
    configuration.set_hypothesis_home_dir(directory)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)
