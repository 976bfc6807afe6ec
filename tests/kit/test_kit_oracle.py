"""The oracle's parts: observations and their differences, the reference's reading of dbt,
the memo store shared by processes, the dbt-core worker, generated projects, the catalogue page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from floe_dbt_compliance.catalogue import REQUIREMENTS, UNCHECKED, markdown
from floe_dbt_compliance.generated import ProjectSpec, projects, write_project
from floe_dbt_compliance.observe import Observation, compare, contract_error
from floe_dbt_compliance.oracle.dbt_outcome import contract_error_for
from floe_dbt_compliance.oracle.reference import DbtCoreReference, ReferenceUnavailable
from floe_dbt_compliance.oracle.store import ReferenceStore
from floe_dbt_compliance.oracle.worker import run_scenario, serve
from floe_dbt_compliance.projects import copy_project, project_fingerprint
from floe_dbt_compliance.scenarios import Scenario, apply_change, edit, link, step
from hypothesis import given, settings

from floe_core.errors import (
    DBTCompilationError,
    DBTConfigurationError,
    DBTExecutionTimeout,
    DBTRemoteError,
)
from floe_core.selectors import selector_members

ROOT = Path(__file__).resolve().parents[2]
RESULT = Observation(
    counts={"models_run": 2, "tests_run": 0, "failures": 0, "success": True},
    nodes={"model.p.a": "success", "model.p.b": "success"},
    manifest=["model.p.a", "model.p.b"],
    warehouse={"main.a": {"kind": "table", "rows": 2, "digest": "x"}},
)


def test_every_difference_is_named_with_both_sides():
    got = Observation(
        counts={"models_run": 1, "tests_run": 0, "failures": 0, "success": True},
        nodes={"model.p.a": "success", "model.p.b": "skipped"},
        manifest=["model.p.a"],
        warehouse={"main.a": {"kind": "view", "rows": 2, "digest": "y"}},
    )
    shown = [str(difference) for difference in compare(RESULT, got)]
    assert shown == [
        "count models_run: reference 2, runtime 1",
        "node model.p.b: reference success, runtime skipped",
        "manifest node model.p.b: reference present, runtime absent",
        "relation main.a kind: reference table, runtime view",
        "relation main.a digest: reference its rows, runtime other rows",
    ]
    assert compare(RESULT, RESULT) == []


def test_an_exception_that_differs_is_the_only_difference():
    raised = Observation(raised="DBTExecutionError", warehouse={})
    assert [str(d) for d in compare(RESULT, raised)] == [
        "exception: reference none (a result), runtime DBTExecutionError"
    ]
    told = Observation(raised="DBTExecutionError", message="dbt Cloud refused\n  (HTTP 401)")
    assert [str(d) for d in compare(RESULT, told)] == [
        "exception: reference none (a result), runtime DBTExecutionError (dbt Cloud refused "
        "(HTTP 401))"
    ]
    long = Observation(raised="DBTExecutionError", message="x" * 1000)
    assert len(str(compare(RESULT, long)[0])) < 320
    refused = Observation(raised="DBTConfigurationError", warehouse=RESULT.warehouse)
    changed = Observation(raised="DBTConfigurationError", warehouse={})
    assert [str(d) for d in compare(refused, changed)] == [
        "relation main.a: reference present, runtime absent"
    ]


def test_what_was_not_observed_is_a_difference_only_when_the_reference_observed_it():
    unread = Observation(counts=RESULT.counts, nodes=None, manifest=RESULT.manifest)
    assert [str(d) for d in compare(RESULT, unread, ("nodes",))] == [
        "nodes: reference observed, runtime could not be read"
    ]
    assert compare(Observation(), Observation(), ("nodes", "warehouse")) == []


def test_contract_errors_compare_as_their_contract_class():
    assert contract_error(DBTRemoteError("x")) == "DBTExecutionError"
    assert contract_error(DBTExecutionTimeout("x")) == "DBTExecutionError"
    assert contract_error(DBTCompilationError("x")) == "DBTCompilationError"
    assert contract_error(DBTConfigurationError("x")) == "DBTConfigurationError"
    assert contract_error(KeyError("x")) == "KeyError (not a floe DBTError)"


@pytest.mark.parametrize(
    ("command", "success", "classes", "expected"),
    [
        (
            "run",
            False,
            ["ParsingError", "CompilationError", "DbtRuntimeError"],
            "DBTCompilationError",
        ),
        (
            "run",
            False,
            ["DbtProfileError", "DbtConfigError", "DbtRuntimeError"],
            "DBTExecutionError",
        ),
        ("compile", False, ["DbtRuntimeError", "RuntimeError"], "DBTCompilationError"),
        ("run", False, ["DbtRuntimeError", "RuntimeError"], "DBTExecutionError"),
        ("compile", False, None, "DBTCompilationError"),
        ("test", False, None, None),
        ("build", True, None, None),
    ],
)
def test_the_reference_reads_dbts_outcome_by_phase(command, success, classes, expected):
    assert contract_error_for(command, success, classes) == expected


STORE_CHILD = """
import sys, time
from pathlib import Path
from floe_dbt_compliance.oracle.store import ReferenceStore

def compute():
    with open(sys.argv[2], "a") as log:
        log.write("computed\\n")
    time.sleep(0.5)
    return {"answer": 42}

print(ReferenceStore(Path(sys.argv[1])).fetch("key", compute)["answer"])
"""


def test_the_store_computes_an_entry_once_for_every_process(tmp_path: Path):
    log = tmp_path / "log"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", STORE_CHILD, str(tmp_path / "store"), str(log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    answers = [child.communicate(timeout=60)[0].strip() for child in children]
    assert answers == ["42", "42", "42"]
    assert log.read_text().splitlines() == ["computed"]
    store = ReferenceStore(tmp_path / "store")
    assert store.fetch("key", lambda: pytest.fail("recomputed")) == {"answer": 42}
    assert store.computed == 0
    assert not list((tmp_path / "store").glob("*.tmp"))


def test_a_store_entry_that_cannot_be_read_is_computed_again(tmp_path: Path):
    store = ReferenceStore(tmp_path)
    (tmp_path / "key.json").write_text("{ half an entry")
    assert store.fetch("key", lambda: [1]) == [1]
    assert json.loads((tmp_path / "key.json").read_text()) == [1]


def test_a_reference_without_dbt_core_says_how_to_get_one(tmp_path: Path):
    reference = DbtCoreReference(tmp_path)
    reference.available = False
    scenario = Scenario.on_fixture("healthy", "healthy", step("run", "run_models"))
    with pytest.raises(ReferenceUnavailable, match=r"install floe-dbt\[local\]"):
        reference.observe(scenario, copy_project("healthy", tmp_path))


def test_the_worker_answers_each_line_and_reports_what_it_cannot_run(tmp_path: Path):
    requests = tmp_path / "requests"
    requests.write_text("\nnot json\n", encoding="utf-8")
    answers = tmp_path / "answers"
    with requests.open() as reading, answers.open("w") as writing:
        serve(reading, writing)
    (answer,) = [json.loads(line) for line in answers.read_text().splitlines()]
    assert answer["error"].startswith("JSONDecodeError")


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_worker_runs_a_scenario_with_plain_dbt_core(tmp_path: Path):
    copy = copy_project("sql_error", tmp_path)
    scenario = Scenario.on_fixture(
        "sql_error",
        "sql_error",
        step("run", "run_models"),
        step("refused", "run_models", select="independent --full-refresh"),
        step("bad_target", "run_models", target="nope"),
        edit("fix", "models/broken.sql", "select 1 as id\n"),
        step("fixed", "run_models", select="broken+"),
    )
    found = run_scenario(
        {
            "project_dir": str(copy.project_dir),
            "profiles_dir": str(copy.profiles_dir),
            "location": copy.location().as_json(),
            "target": copy.target,
            "steps": [candidate.as_json() for candidate in scenario.steps],
        }
    )
    run, refused, bad_target, fixed_edit, fixed = found
    assert run["counts"] == {"models_run": 2, "tests_run": 0, "failures": 1, "success": False}
    assert run["nodes"] == {
        "model.sql_error.broken": "error",
        "model.sql_error.downstream": "skipped",
        "model.sql_error.independent": "success",
    }
    assert set(run["warehouse"]) == {"main.independent"}
    assert refused["raised"] == "DBTConfigurationError"
    assert "--full-refresh" in refused["message"]
    assert refused["warehouse"] == run["warehouse"]
    assert bad_target["raised"] == "DBTExecutionError"
    assert "nope" in bad_target["message"]
    assert fixed_edit is None
    assert fixed["nodes"] == {
        "model.sql_error.broken": "success",
        "model.sql_error.downstream": "success",
    }
    assert set(fixed["warehouse"]) == {"main.broken", "main.downstream", "main.independent"}


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_worker_that_died_is_started_again(tmp_path: Path):
    reference = DbtCoreReference(tmp_path / "reference")
    scenario = Scenario.on_fixture("bad_profile", "bad_profile", step("run", "run_models"))
    try:
        first = reference.observe(scenario, copy_project("bad_profile", tmp_path / "a"))
        process = reference._worker._process
        assert process is not None
        process.kill()
        process.wait()
        second = reference.observe(scenario, copy_project("bad_profile", tmp_path / "b"))
    finally:
        reference.close()
    assert first == second
    assert first[0] is not None
    assert first[0].raised == "DBTExecutionError"
    assert reference._worker._process is None


def test_scenario_keys_follow_the_steps_and_the_project_files(tmp_path: Path):
    one = Scenario.on_fixture("s", "healthy", step("run", "run_models"))
    two = Scenario.on_fixture("s", "healthy", step("run", "run_models", select="customers"))
    assert one.key() == one.key() != two.key()
    copy = copy_project("healthy", tmp_path)
    before = project_fingerprint(copy.project_dir)
    (copy.project_dir / "target").mkdir()
    (copy.project_dir / "target" / "run_results.json").write_text("{}")
    assert project_fingerprint(copy.project_dir) == before
    (copy.project_dir / "models" / "new.sql").write_text("select 1")
    assert project_fingerprint(copy.project_dir) != before
    # a package `dbt deps` installed as a link (a local one) is part of the key
    package = tmp_path / "package"
    (package / "models").mkdir(parents=True)
    (package / "models" / "p.sql").write_text("select 1")
    (copy.project_dir / "dbt_packages").mkdir()
    (copy.project_dir / "dbt_packages" / "package").symlink_to(package)
    (package / "loop").symlink_to(package)  # walked once, not forever
    linked = project_fingerprint(copy.project_dir)
    (package / "models" / "p.sql").write_text("select 2")
    assert project_fingerprint(copy.project_dir) != linked
    with pytest.raises(ValueError, match="run_tests takes no"):
        step("x", "run_tests", exclude="a")
    assert step("x", "build", vars={"a": 1}, bound_vars={"b": 2}).label == (
        "with_vars({'b': 2}).build(vars={'a': 1})"
    )
    looped = step("x", "run_models", project_dir="loop", select="a")
    assert looped.label == "run_models(project_dir=<copy>/loop, select='a')"
    assert looped.as_json()["project_dir"] == "loop"
    assert one.key() != Scenario.on_fixture("s", "healthy", looped).key()
    made = link("l", "models/x.sql", "x.sql")
    assert (made.label, made.command) == ("link models/x.sql -> x.sql", None)


def test_edit_and_link_steps_change_the_copy_as_written(tmp_path: Path):
    apply_change(tmp_path, link("l", "loop", "loop").as_json())
    apply_change(tmp_path, edit("e", "a.sql", "select 1\n").as_json())
    assert os.readlink(tmp_path / "loop") == "loop"  # relative, as written: a loop
    assert (tmp_path / "a.sql").read_text() == "select 1\n"


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_worker_calls_with_the_steps_project_dir_and_reads_dbts_oserror(tmp_path: Path):
    copy = copy_project("healthy", tmp_path)
    steps = (
        link("loop_dir", "loop", "loop"),
        step("run_loop", "run_models", project_dir="loop"),
        link("loop_file", "models/loop.sql", "loop.sql"),
        step("run", "run_models"),
    )
    found = run_scenario(
        {
            "project_dir": str(copy.project_dir),
            "profiles_dir": str(copy.profiles_dir),
            "location": copy.location().as_json(),
            "target": copy.target,
            "steps": [candidate.as_json() for candidate in steps],
        }
    )
    _, run_loop, _, run = found
    assert run_loop["raised"] == run["raised"] == "DBTExecutionError"
    assert str(copy.project_dir / "loop") in run_loop["message"]
    assert "Too many levels of symbolic links" in run["message"]
    assert run["warehouse"] is run_loop["warehouse"] is None  # no database file: nothing ran


@settings(max_examples=25, derandomize=True, deadline=None)
@given(projects())
def test_generated_projects_are_dbt_projects_with_dbt_selectors(spec: ProjectSpec):
    files = spec.files()
    assert yaml.safe_load(files["dbt_project.yml"])["name"] == "generated"
    assert "generated" in yaml.safe_load(files["profiles.yml"])
    if "models/schema.yml" in files:
        assert yaml.safe_load(files["models/schema.yml"])["version"] == 2
    for model in spec.models:
        assert all(parent < model.index for parent in model.parents)
        assert model.path in files
        assert model.path.startswith("packages/gen_pkg/models/" if model.packaged else "models/")
    if spec.packaged:
        assert yaml.safe_load(files["packages.yml"]) == {
            "packages": [{"local": "packages/gen_pkg"}]
        }
        assert [candidate.label for candidate in spec.setup] == [
            "link dbt_packages/gen_pkg -> ../packages/gen_pkg"
        ]
    else:
        assert "packages.yml" not in files
        assert spec.setup == ()
    for candidate in spec.steps:
        for name in ("select", "exclude"):
            if candidate.options.get(name) is not None:
                assert selector_members(candidate.options[name], field=name)
    assert "," in str(spec.steps[2].options["select"])
    assert str(spec.steps[0].options["select"]).startswith("@")
    listing = spec.listing()
    assert all(path in listing for path in files)


@settings(max_examples=3, derandomize=True, deadline=None)
@given(projects())
def test_a_generated_project_is_written_whole(spec: ProjectSpec):
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        root = write_project(spec, Path(scratch))
        written = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    assert written == set(spec.files())


def test_the_promise_page_is_the_catalogue():
    page = (ROOT / "docs" / "reference" / "promises.md").read_text(encoding="utf-8")
    assert page == markdown(), "regenerate: python -m floe_dbt_compliance.catalogue"
    for key in REQUIREMENTS:
        assert f"| `{key}` |" in page
    assert all(unchecked.reason in page for unchecked in UNCHECKED)


def test_the_catalogue_module_prints_the_page():
    printed = subprocess.run(
        [sys.executable, "-m", "floe_dbt_compliance.catalogue"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == markdown()
    assert textwrap.dedent(printed).startswith("# The promise catalogue")


def test_what_the_kit_writes_down_never_holds_a_named_secret():
    from floe_dbt_compliance.leaks import redact

    message = "POST jobs/1/run/ with Token dbtc_abc refused; token dbtc_abc, again dbtc_abc"
    assert redact(message, ("dbtc_abc", "")) == (
        "POST jobs/1/run/ with Token <secret> refused; token <secret>, again <secret>"
    )
    assert redact(message, ()) == message
