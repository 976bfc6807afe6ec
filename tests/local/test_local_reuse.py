"""Reuse of the parsed manifest never runs stale SQL (issue 3, "the stale-reuse test").

Each case runs a probe model, changes one thing dbt's parse depends on, runs
again, and reads the value the second run wrote to DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import yaml
from floe_dbt_compliance.projects import ProjectCopy

from floe_dbt_local import LocalDBTPlugin

Query = Callable[[Path, str], list[tuple[object, ...]]]
pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

Edit = Callable[[ProjectCopy, pytest.MonkeyPatch], None]


def _write(copy: ProjectCopy, relative: str, text: str) -> None:
    path = copy.project_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _edit_yaml(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def _other_database(copy: ProjectCopy) -> Path:
    return copy.project_dir / "other.duckdb"


def _point_dev_at_other_database(copy: ProjectCopy, _: pytest.MonkeyPatch) -> None:
    _edit_yaml(
        copy.profiles_dir / "profiles.yml",
        lambda p: p["healthy"]["outputs"]["dev"].update(path=str(_other_database(copy))),  # type: ignore[index]
    )


def _add_other_target(copy: ProjectCopy) -> None:
    def add(profiles: dict[str, object]) -> None:
        outputs = profiles["healthy"]["outputs"]  # type: ignore[index]
        outputs["other"] = {**outputs["dev"], "path": str(_other_database(copy))}

    _edit_yaml(copy.profiles_dir / "profiles.yml", add)


@dataclass
class Case:
    files: dict[str, str]
    edit: Edit
    table_before: str = "probe"
    table_after: str = "probe"
    target_after: str = "dev"
    database_after: Callable[[ProjectCopy], Path] = field(default=lambda c: c.database_path)
    prepare: Callable[[ProjectCopy], None] = field(default=lambda c: None)


PROBE = "models/probe.sql"
CASES = {
    # Same length on purpose: a size or coarse-mtime check would miss it.
    "model_sql": Case(
        files={PROBE: "select 'a' as v"},
        edit=lambda c, _: _write(c, PROBE, "select 'b' as v"),
    ),
    "macro": Case(
        files={
            "macros/probe_value.sql": "{% macro probe_value() %}'a'{% endmacro %}",
            PROBE: "select {{ probe_value() }} as v",
        },
        edit=lambda c, _: _write(
            c, "macros/probe_value.sql", "{% macro probe_value() %}'b'{% endmacro %}"
        ),
    ),
    "schema_yaml": Case(
        files={
            "models/probe.yml": "models:\n  - name: probe\n    config: {alias: probe_a}\n",
            PROBE: "select '{{ this.identifier[-1] }}' as v",
        },
        edit=lambda c, _: _write(
            c, "models/probe.yml", "models:\n  - name: probe\n    config: {alias: probe_b}\n"
        ),
        table_before="probe_a",
        table_after="probe_b",
    ),
    "project_vars": Case(
        files={PROBE: "select '{{ var(\"probe\") }}' as v"},
        prepare=lambda c: _edit_yaml(
            c.project_dir / "dbt_project.yml", lambda d: d.update(vars={"probe": "a"})
        ),
        edit=lambda c, _: _edit_yaml(
            c.project_dir / "dbt_project.yml", lambda d: d.update(vars={"probe": "b"})
        ),
    ),
    "environment_variable": Case(
        files={PROBE: "select '{{ env_var(\"FLOE_PROBE_VALUE\") }}' as v"},
        edit=lambda _, env: env.setenv("FLOE_PROBE_VALUE", "b"),
    ),
    "profile": Case(
        files={PROBE: "select 'b' as v"},
        edit=_point_dev_at_other_database,
        database_after=_other_database,
    ),
    "target": Case(
        files={PROBE: "select 'b' as v"},
        prepare=_add_other_target,
        edit=lambda c, _: None,
        target_after="other",
        database_after=_other_database,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_change_between_calls_runs_the_new_definition(
    name: str,
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    query: Query,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = CASES[name]
    monkeypatch.setenv("FLOE_PROBE_VALUE", "a")
    copy = project("healthy")
    case.prepare(copy)
    for relative, text in case.files.items():
        _write(copy, relative, text)
    where = (copy.project_dir, copy.profiles_dir)

    first = runtime.run_models(*where, "dev", select="probe")
    # Reused now: nothing changed since the first call parsed.
    again = runtime.run_models(*where, "dev", select="probe")
    before = query(copy.database_path, f"select v from {case.table_before}")
    case.edit(copy, monkeypatch)
    after = runtime.run_models(*where, case.target_after, select="probe")

    assert (first.models_run, again.models_run, after.models_run) == (1, 1, 1)
    assert (first.metadata["manifest_reused"], again.metadata["manifest_reused"]) == (False, True)
    assert after.metadata["manifest_reused"] is False
    expected_before = [("a",)] if name not in {"profile", "target"} else [("b",)]
    assert before == expected_before
    sql = f"select v from {case.table_after}"
    assert query(case.database_after(copy), sql) == [("b",)]


def test_reuse_follows_the_incremental_state(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin, query: Query
) -> None:
    copy = project("healthy")
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    modes = []
    for full_refresh in (False, False, True, False):
        result = runtime.run_models(*where, full_refresh=full_refresh)
        assert result.success
        modes.append(query(copy.database_path, "select distinct load_mode from fct_orders"))
    # The first build of fct_orders is full even without full_refresh (no table yet).
    assert modes == [[("full",)], [("incremental",)], [("full",)], [("incremental",)]]


def test_reuse_can_be_turned_off(project: Callable[[str], ProjectCopy]) -> None:
    copy = project("healthy")
    runtime = LocalDBTPlugin(reuse_manifest=False)
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    results = [runtime.run_models(*where, select="customers") for _ in range(2)]
    assert [r.metadata["manifest_reused"] for r in results] == [False, False]
    assert [r.models_run for r in results] == [1, 1]


def test_a_parse_with_other_vars_is_never_reused(
    project: Callable[[str], ProjectCopy],
    runtime: LocalDBTPlugin,
    tables: Callable[[Path], set[str]],
    query: Query,
) -> None:
    # The alias is rendered while parsing: a manifest parsed with other vars
    # would write this run's value into the other run's table.
    copy = project("healthy")
    _write(
        copy,
        PROBE,
        "{{ config(alias='probe_' ~ var('probe')) }}\nselect '{{ var(\"probe\") }}' as v",
    )
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    reused = []
    for value in ("a", "b", "a", "b"):
        with duckdb.connect(str(copy.database_path)) as connection:
            connection.execute("drop view if exists probe_a; drop view if exists probe_b")
        result = runtime.with_vars({"probe": value}).run_models(*where, select="probe")
        assert (result.models_run, result.success) == (1, True)
        reused.append(result.metadata["manifest_reused"])
        assert {"probe_a", "probe_b"} & tables(copy.database_path) == {f"probe_{value}"}
        assert query(copy.database_path, f"select v from probe_{value}") == [(value,)]
    # Bound runtimes share the cache; each vars document keeps its own parse.
    assert reused == [False, False, True, True]


def test_a_reused_parse_injects_ephemeral_ctes_on_every_call(
    project: Callable[[str], ProjectCopy], runtime: LocalDBTPlugin, query: Query
) -> None:
    # dbt marks a node's ephemeral CTEs as injected in the manifest it runs; a
    # reused parse handed over as the same object ran the second call's SQL
    # without them ("Table with name __dbt__cte__large_ids does not exist").
    copy = project("ephemeral")
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    calls = [
        runtime.run_models(*where),
        runtime.run_models(*where),
        runtime.run_models(*where, select="amounts"),
        runtime.run_tests(*where),
        runtime.run_tests(*where),
    ]
    outcomes = [(r.models_run, r.tests_run, r.failures, r.success) for r in calls]
    assert outcomes == [(2, 0, 0, True), (2, 0, 0, True), (1, 0, 0, True)] + [(0, 2, 0, True)] * 2
    assert [r.metadata["manifest_reused"] for r in calls] == [False, True, True, True, True]
    assert query(copy.database_path, "select id, amount from amounts order by id") == [
        (2, 20),
        (3, 30),
    ]
    assert query(copy.database_path, "select ids from id_count") == [(3,)]
