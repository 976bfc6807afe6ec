"""``--floe-dbt-project PATH``: the runtime on the user's own project, compared with plain dbt.

The project is checked before anything runs (a dbt project, its packages
installed), copied for every run and never touched in place (the same files
with the same bytes afterwards); the calls are derived from its own graph.
A runtime that drops one node of ``examples/jaffle_shop`` is refused with
that node named; the correct one passes; without the option both rows are n/a.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from floe_dbt_compliance.projects import copy_tree, outside_packages, project_fingerprint
from floe_dbt_compliance.user_projects import (
    Graph,
    ProjectError,
    UserProject,
    check_project,
    derive_scenario,
    read_graph,
)

from .conftest import certificate, rows, snapshot
from .outside import ROOT
from .variants import USER_VARIANTS

pytest_plugins = ("pytester",)

JAFFLE = ROOT / "examples" / "jaffle_shop"
ROWS = ("project.agrees", "project.lifecycle")


def _node(name: str, kind: str = "model", **fields: Any) -> tuple[str, dict[str, Any]]:
    node = {"name": name, "resource_type": kind, "package_name": "shop", "tags": []}
    node["original_file_path"] = f"models/{name}.sql"
    node["config"] = {"materialized": "table"}
    node["schema"] = "main"
    node.update(fields)
    return f"{kind}.shop.{name}", node


def _project(tmp_path: Path, **settings: Any) -> UserProject:
    tmp_path.mkdir(parents=True, exist_ok=True)
    document = {"name": "shop", "profile": "shop", **settings}
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return check_project(tmp_path)


def test_a_directory_without_a_project_or_without_its_packages_is_refused(tmp_path: Path):
    with pytest.raises(ProjectError, match=r"no dbt_project\.yml there"):
        check_project(tmp_path)
    project = tmp_path / "shop"
    _project(project)
    (project / "packages.yml").write_text(
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n", encoding="utf-8"
    )
    with pytest.raises(ProjectError, match=r"declares 1 package\(s\) \(dbt-labs/dbt_utils\)"):
        check_project(project)
    (project / "dependencies.yml").write_text("packages: [\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"dependencies\.yml cannot be read: "):
        check_project(project)
    (project / "dependencies.yml").unlink()
    installed = project / "dbt_packages" / "dbt_utils"
    installed.mkdir(parents=True)
    (installed / "dbt_project.yml").write_text("name: dbt_utils\n", encoding="utf-8")
    assert check_project(project) == UserProject("shop", project.resolve())
    # a directory link back up the tree: its copy would never end, so refused up front
    (project / "models").mkdir()
    (project / "models" / "again").symlink_to(project)
    with pytest.raises(ProjectError, match=r"models/again links to .*shop, a directory that"):
        check_project(project)
    (project / "models" / "again").unlink()
    (project / "models" / "shared").symlink_to(installed)  # a link elsewhere is fine
    assert check_project(project) == UserProject("shop", project.resolve())


def test_the_copy_has_a_profile_of_the_kits_and_none_of_the_users(tmp_path: Path):
    project = tmp_path / "shop"
    _project(project)
    (project / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "shop": {
                    "target": "prod",
                    "outputs": {
                        "prod": {"type": "postgres", "password": "users-real-secret"},
                        "ci": {"type": "duckdb", "path": "x.duckdb", "extensions": ["httpfs"]},
                    },
                }
            }
        ),
        encoding="utf-8",
    )
    copy = copy_tree(project, tmp_path / "copies", user=True)
    profiles = yaml.safe_load((copy.profiles_dir / "profiles.yml").read_text())
    assert profiles == {
        "shop": {
            "target": "dev",
            "outputs": {"dev": {"type": "duckdb", "path": str(copy.database_path), "threads": 1}},
        }
    }
    assert "users-real-secret" not in (copy.profiles_dir / "profiles.yml").read_text()


def test_local_packages_beside_the_project_are_copied_beside_it_and_key_the_reference(
    tmp_path: Path,
):
    repository = tmp_path / "repository"
    project = repository / "projects" / "shop"
    _project(project)
    for package in (repository / "shared", project / "inner"):
        package.mkdir(parents=True)
        (package / "dbt_project.yml").write_text(f"name: {package.name}\n", encoding="utf-8")
    declared = ["../../shared", "inner", "/elsewhere", "../nowhere", "{{ env_var('P') }}", ".."]
    (project / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{"local": path} for path in declared]}), encoding="utf-8"
    )
    assert outside_packages(project) == ["../../shared"]

    copy = copy_tree(project, tmp_path / "copies", user=True)
    assert copy.project_dir == (tmp_path / "copies" / "projects" / "shop").resolve()
    assert (copy.project_dir / "../../shared/dbt_project.yml").read_text() == "name: shared\n"
    assert (copy.project_dir / "inner" / "dbt_project.yml").is_file()
    plain = _project(tmp_path / "plain" / "shop").source
    alone = copy_tree(plain, tmp_path / "alone", user=True).project_dir
    assert alone == (tmp_path / "alone" / "shop").resolve()  # no packages: destination/<name>

    before = project_fingerprint(project)
    (repository / "shared" / "macros.sql").write_text("{% macro m() %}1{% endmacro %}")
    assert project_fingerprint(project) != before


def test_the_calls_are_derived_from_the_projects_own_graph(tmp_path: Path):
    project = _project(tmp_path / "shop", vars={"methods": ["a", "b"], "since": "2020-01-01"})
    manifest = {
        "nodes": dict(
            [
                _node("raw", "seed"),
                _node("base", depends_on={"nodes": ["seed.shop.raw"]}),
                _node("mid", tags=["daily"], depends_on={"nodes": ["model.shop.base"]}),
                _node(
                    "top", tags=["daily"], depends_on={"nodes": ["model.shop.mid", "model.other.x"]}
                ),
                _node("not_null_mid", "test", depends_on={"nodes": ["model.shop.mid"]}),
                _node("snap", "snapshot", schema="snapshots"),
            ]
        )
    }
    # an installed package's nodes: its seeds are seeded, its models are parents, its
    # tests and tags are not the project's, and the schemas it writes count
    package = {"package_name": "other", "schema": "other_main", "tags": ["pkg", "pkg2"]}
    manifest["nodes"]["model.other.x"] = {**_node("x")[1], **package}
    manifest["nodes"]["seed.other.codes"] = {**_node("codes", "seed")[1], **package}
    test = _node("not_null_x", "test", depends_on={"nodes": ["model.other.x"]})[1]
    manifest["nodes"]["test.other.not_null_x"] = {**test, **package}
    graph = read_graph(manifest, project)
    assert graph.models == {
        "base": ([], ["mid"]),
        "mid": (["base"], ["top"]),
        "top": (["mid", "x"], []),
    }
    assert (graph.seeds, graph.snapshots, graph.tags, graph.tested) == (
        ["codes", "raw"],
        ["snap"],
        ["daily"],
        ["mid"],
    )
    assert graph.foreign == []  # DuckDB: every schema is inside the copy's file
    assert read_graph(manifest, project, "floe_1").foreign == ["main", "other_main", "snapshots"]
    assert Graph.from_json(graph.as_json()) == graph
    labels = [
        candidate.label for candidate in derive_scenario(project, graph, lifecycle=True).steps
    ]
    assert labels == [
        "compile_project()",
        "seed()",
        "snapshot()",
        "run_models()",
        "run_tests()",
        "run_models(select='mid')",
        "run_models(select='+mid')",
        "run_models(select='tag:daily')",
        "run_models(select='path:models')",
        "run_models(exclude='mid')",
        "run_tests(select='mid')",
        "build()",
        "build(vars={'methods': ['a'], 'since': '2020-01-01'})",
    ]
    plain = derive_scenario(project, graph, lifecycle=False)
    assert not any(candidate.lifecycle for candidate in plain.steps)
    assert plain.user
    assert plain.name != derive_scenario(project, graph, lifecycle=True).name


def test_a_missing_package_is_a_usage_error_before_anything_runs(pytester: pytest.Pytester):
    project = pytester.path / "shop"
    shutil.copytree(JAFFLE, project)
    (project / "packages.yml").write_text(
        "packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.0\n", encoding="utf-8"
    )
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", f"--floe-dbt-project={project}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--floe-dbt-project {project}: *run `dbt deps`*"])
    assert not (project / "target").exists()


def _session(kit_dir: pytest.Pytester, names: list[str], project: Path, cache: Path) -> Any:
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    args += [f"--floe-dbt-reference-cache={cache}", f"--floe-dbt-project={project}"]
    for name in names:
        args += [
            f"--floe-dbt-runtime={name}",
            *(f"--floe-dbt-requirement={name}:{r}" for r in ROWS),
        ]
    return kit_dir.runpytest_inprocess(*args)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_runtime_that_drops_a_node_of_jaffle_shop_is_refused_with_the_node_named(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    project = kit_dir.path / "my" / "jaffle_shop"
    shutil.copytree(JAFFLE, project)
    before = snapshot(project)
    result = _session(kit_dir, ["acme", *USER_VARIANTS], project, reference_cache)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert snapshot(project) == before  # the same files, the same bytes: nothing in place

    correct = certificate(kit_dir, "acme")
    assert {key: rows(correct)[key]["status"] for key in ROWS} == dict.fromkeys(ROWS, "passed")
    assert correct["oracle"]["projects"] == f"jaffle_shop ({project.resolve()})"
    for name, variant in USER_VARIANTS.items():
        found = rows(certificate(kit_dir, name))
        assert {key for key in ROWS if found[key]["status"] == "failed"} == set(variant.rows)
        for key in variant.rows:
            assert "model.jaffle_shop.stg_payments" in found[key]["reason"]
            differences = [
                difference["what"]
                for finding in found[key]["findings"]
                for difference in finding["differences"]
            ]
            assert "node model.jaffle_shop.stg_payments" in differences, differences
            # every disagreement is listed: the tables it never built, too
            assert any(what.startswith("relation main.stg_payments") for what in differences)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_without_a_project_the_rows_are_not_applicable(kit_dir: pytest.Pytester):
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    args += ["--floe-dbt-runtime=acme", *(f"--floe-dbt-requirement={row}" for row in ROWS)]
    result = kit_dir.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-2000:]
    found = rows(certificate(kit_dir, "acme"))
    for key in ROWS:
        assert found[key]["status"] == "n/a"
        assert found[key]["reason"].startswith("no --floe-dbt-project was given")


#: Broken runtimes of the kit's own rows, and the user's-project row each must fail on
#: ``every_kind`` as well: what the derived calls must show whatever project they run on.
ON_EVERY_KIND = {
    "acme-ignores-select": "project.agrees",  # run_models(select=<the model>)
    "acme-ignores-exclude": "project.agrees",  # run_models(exclude=<the model>)
    "acme-strips-graph-operators": "project.agrees",  # run_models(select=+<the model>)
    "acme-run-is-build": "project.agrees",  # its tests, unit tests and seeds run too
    "acme-warn-is-failure": "project.agrees",  # the project has warn-severity tests
    "acme-test-ignores-select": "project.agrees",  # run_tests(select=<the model>)
    "acme-vars-ignored": "project.lifecycle",  # build(vars=<the project's, one shorter>)
    "acme-build-is-run-then-test": "project.lifecycle",  # no seeds, no snapshot in build
}


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_project_of_every_kind_of_node_certifies_the_correct_runtimes_only(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    # A project nobody derived the kit from: a Python model, an ephemeral one under a unit
    # test, an incremental one, a versioned one, a disabled one, a check snapshot into its
    # own schema, a custom-schema folder with a tag, list vars, warn-severity tests, a
    # singular test, an analysis, an on-run-start hook and a macro of its own.
    project = kit_dir.path / "every_kind"
    shutil.copytree(ROOT / "tests" / "kit" / "every_kind", project)
    before = snapshot(project)
    result = _session(kit_dir, ["acme", "cloud", *ON_EVERY_KIND], project, reference_cache)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert snapshot(project) == before

    for name in ("acme", "cloud"):
        found = rows(certificate(kit_dir, name))
        assert {key: found[key]["status"] for key in ROWS} == dict.fromkeys(ROWS, "passed")
    for name, row in ON_EVERY_KIND.items():
        found = rows(certificate(kit_dir, name))
        assert found[row]["status"] == "failed", (name, found[row])
        assert found[row]["findings"], name  # the disagreements are listed
