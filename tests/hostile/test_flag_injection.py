"""A selector is a dbt selection expression, never an argument list (issue: hardening, row 1).

Each attack below was reproduced against the local runtime before the fix:
``select="fct_orders --target prod"`` wrote to the prod database and reported
success on dev; ``exclude="x --empty"`` emptied a table that had rows;
``select="x --full-refresh"`` rebuilt an incremental model. Each must now be
refused with ``DBTConfigurationError`` naming the offending token, before dbt
runs anything, through the API and through ``floe run``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from floe_dbt_compliance.projects import ProjectCopy

from floe_core.cli import main
from floe_core.errors import DBTConfigurationError
from floe_dbt_local import LocalDBTPlugin

Query = Callable[[Path, str], list[tuple[object, ...]]]

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def _where(copy: ProjectCopy) -> tuple[Path, Path, str]:
    return copy.project_dir, copy.profiles_dir, copy.target


def _fct_orders(query: Query, copy: ProjectCopy) -> list[tuple[object, ...]]:
    return query(copy.database_path, "select load_mode, count(*) from fct_orders group by 1")


@pytest.fixture
def built(project_with_prod: Callable[[str], ProjectCopy]) -> ProjectCopy:
    """The healthy project, run once on dev: fct_orders holds 4 rows loaded 'full'."""
    copy = project_with_prod("healthy")
    result = LocalDBTPlugin().run_models(*_where(copy))
    assert (result.models_run, result.success) == (5, True)
    return copy


@pytest.mark.parametrize(
    ("options", "token"),
    [
        ({"select": "fct_orders --target prod"}, "'--target'"),
        ({"exclude": "customers --empty"}, "'--empty'"),
        ({"select": "fct_orders --full-refresh"}, "'--full-refresh'"),
        ({"select": "fct_orders -t prod"}, "'-t'"),
        ({"select": "fct_orders\n--full-refresh"}, "'fct_orders\\n--full-refresh'"),
        ({"exclude": "--vars {x: 1}"}, "'--vars'"),
        ({"select": "a;b"}, "'a;b'"),
        ({"select": ""}, "it is empty"),
    ],
)
def test_run_models_refuses_flags_in_selectors_and_changes_nothing(
    built: ProjectCopy, query: Query, options: dict[str, str], token: str
) -> None:
    runtime = LocalDBTPlugin()
    run_results = (built.project_dir / "target" / "run_results.json").read_bytes()
    with pytest.raises(DBTConfigurationError) as raised:
        runtime.run_models(*_where(built), **options)
    field = next(iter(options))
    assert str(raised.value).startswith(f"{field}=")
    assert token in str(raised.value)
    # Nothing ran: no prod database, fct_orders untouched, the last run's results kept.
    assert not (built.project_dir / "prod.duckdb").exists()
    assert _fct_orders(query, built) == [("full", 4)]
    assert query(built.database_path, "select count(*) from customers") == [(3,)]
    assert (built.project_dir / "target" / "run_results.json").read_bytes() == run_results


def test_run_tests_refuses_a_flag_in_its_selector(built: ProjectCopy) -> None:
    with pytest.raises(DBTConfigurationError, match=r"^select=.*'--target'"):
        LocalDBTPlugin().run_tests(*_where(built), select="customers --target prod")
    assert not (built.project_dir / "prod.duckdb").exists()


@pytest.mark.parametrize("target", ["dev --full-refresh", "--full-refresh", "-dev", "", "dev\n"])
def test_a_target_that_is_not_a_name_is_refused(built: ProjectCopy, target: str) -> None:
    with pytest.raises(DBTConfigurationError, match=r"^target=.* is not a profile target name"):
        LocalDBTPlugin().run_models(built.project_dir, built.profiles_dir, target)
    with pytest.raises(DBTConfigurationError, match=r"^target="):
        LocalDBTPlugin().compile_project(built.project_dir, built.profiles_dir, target)


def test_well_formed_selectors_still_select(built: ProjectCopy, query: Query) -> None:
    runtime = LocalDBTPlugin()
    result = runtime.run_models(
        *_where(built), select="+customers stg_orders", exclude="raw_orders"
    )
    executed = {row["unique_id"] for row in runtime.get_run_results(built.project_dir)["results"]}
    assert executed == {
        "model.healthy.raw_customers",
        "model.healthy.stg_orders",
        "model.healthy.customers",
    }
    assert result.models_run == 3
    assert _fct_orders(query, built) == [("full", 4)]


def test_floe_run_refuses_the_injection_and_exits_2(
    built: ProjectCopy, query: Query, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: local\n", encoding="utf-8")
    args = ["run", "--manifest", str(manifest), "--project-dir", str(built.project_dir)]
    args += ["--profiles-dir", str(built.profiles_dir), "--target", built.target]
    result = CliRunner().invoke(main, [*args, "--select", "fct_orders --full-refresh"])
    assert result.exit_code == 2, result.output
    assert "error: select='fct_orders --full-refresh' is not a dbt selector" in result.stderr
    assert "'--full-refresh'" in result.stderr
    assert _fct_orders(query, built) == [("full", 4)]
    # The same command with a plain selector runs, incrementally.
    plain = CliRunner().invoke(main, [*args, "--select", "fct_orders", "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["models_run"] == 1
    assert _fct_orders(query, built) == [("incremental", 4)]
