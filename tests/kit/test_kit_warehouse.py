"""The kit's warehouse: a place of its own per copy, read by the kit's SQL, and given back.

On PostgreSQL the connection comes from libpq's variables only: the
profiles the kit writes name ``env_var('PGPASSWORD')``, never the password;
an unreachable server is a usage error before anything runs; each copy gets
a scratch schema (and those dbt derives from it), read with the scratch part
named ``<schema>`` so that two copies compare, and dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from floe_dbt_compliance.errors import WarehouseUnavailable
from floe_dbt_compliance.observe import Observation, compare
from floe_dbt_compliance.oracle.worker import run_scenario
from floe_dbt_compliance.projects import copy_project
from floe_dbt_compliance.recorder import UNREADABLE, Recorder
from floe_dbt_compliance.scenarios import step
from floe_dbt_compliance.spans import span_recorder
from floe_dbt_compliance.warehouse import Location, Warehouse, read_location
from floe_dbt_compliance.warehouse.postgres import PostgresSettings

from tests.support.postgres_server import PostgresServer

pytest_plugins = ("pytester",)

FAST = ("-p", "no:cacheprovider", "--floe-dbt-examples=0")


@pytest.fixture
def on_postgres(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """libpq's variables point at the test server; the session's warehouse is PostgreSQL."""
    for key, value in postgres_server.environ().items():
        monkeypatch.setenv(key, value)
    return Warehouse.choose("postgres")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scratch_schemas() -> set[str]:
    settings = PostgresSettings.from_environment()
    with settings.connection() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like 'floe!_%' escape '!'")
        return {name for (name,) in cursor.fetchall()}


def _run(copy_location: Location, copy) -> list:
    return run_scenario(
        {
            "project_dir": str(copy.project_dir),
            "profiles_dir": str(copy.profiles_dir),
            "location": copy_location.as_json(),
            "target": copy.target,
            "steps": [step("run", "run_models").as_json(), step("test", "run_tests").as_json()],
        }
    )


def test_the_kit_imports_without_a_warehouse_driver():
    code = (
        "import sys, floe_dbt_compliance.warehouse, floe_dbt_compliance.projects\n"
        "print(sorted(m for m in ('psycopg2', 'duckdb') if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"


def test_libpq_variables_or_their_defaults_name_the_server():
    settings = PostgresSettings.from_environment(
        {"PGHOST": "db.example", "PGPORT": "6543", "PGUSER": "ci", "PGDATABASE": "warehouse"}
    )
    assert settings.where == "db.example:6543, database warehouse, user ci"
    defaults = PostgresSettings.from_environment({"PGUSER": "ada"})
    assert (defaults.host, defaults.port, defaults.database) == ("localhost", 5432, "ada")
    with pytest.raises(WarehouseUnavailable, match=r"PGPORT='port' is not a port number"):
        PostgresSettings.from_environment({"PGPORT": "port"})


def test_an_unreachable_server_is_a_usage_error_before_anything_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    port = _closed_port()
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(port))
    monkeypatch.setenv("PGUSER", "kit")
    monkeypatch.setenv("PGPASSWORD", "never-shown-7c1e")
    monkeypatch.setenv("PGDATABASE", "ci")
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", "--floe-dbt-warehouse=postgres", *FAST
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    error = result.stderr.str()
    assert (
        f"--floe-dbt-warehouse postgres: cannot connect to PostgreSQL at 127.0.0.1:{port}" in error
    )
    assert "database ci, user kit" in error
    assert "Set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE" in error
    assert "never-shown-7c1e" not in error + result.stdout.str()
    assert not (pytester.path / ".floe").exists()  # no certificate: nothing ran


def test_a_refused_password_is_named_as_refused_never_shown(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
):
    for key, value in postgres_server.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PGPASSWORD", "wrong-" + postgres_server.password)
    with pytest.raises(WarehouseUnavailable) as raised:
        Warehouse.choose("postgres")
    message = str(raised.value)
    assert f"{postgres_server.host}:{postgres_server.port}" in message
    assert "password authentication failed" in message
    assert postgres_server.password not in message


def test_a_user_without_the_right_to_create_schemas_is_told_so(
    on_postgres: Warehouse, monkeypatch: pytest.MonkeyPatch
):
    settings = PostgresSettings.from_environment()
    with settings.connection() as connection, connection.cursor() as cursor:
        cursor.execute("drop role if exists reader")
        cursor.execute("create role reader login password 'reader-pw'")
        cursor.execute("revoke create on database floe from public")
    monkeypatch.setenv("PGUSER", "reader")
    monkeypatch.setenv("PGPASSWORD", "reader-pw")
    with pytest.raises(WarehouseUnavailable, match="may not create schemas"):
        Warehouse.choose("postgres")


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_copies_run_in_their_own_schemas_compare_and_are_dropped(
    on_postgres: Warehouse, tmp_path: Path, postgres_server: PostgresServer
):
    first = copy_project("healthy", tmp_path / "a", on_postgres)
    second = copy_project("healthy", tmp_path / "b", on_postgres)
    assert first.warehouse == "postgres"
    assert first.schema != second.schema
    assert str(first.schema).startswith("floe_")
    output = yaml.safe_load((first.profiles_dir / "profiles.yml").read_text())["healthy"]
    assert output["outputs"]["dev"] == {
        "type": "postgres",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "user": postgres_server.user,
        "password": "{{ env_var('PGPASSWORD', '') }}",
        "dbname": postgres_server.database,
        "schema": first.schema,
        "threads": 1,
    }

    observed = _run(first.location(), first)
    assert observed == _run(second.location(), second)
    relations = observed[0]["warehouse"]
    assert set(relations) == {
        f"<schema>.{name}"
        for name in ("raw_customers", "raw_orders", "stg_orders", "customers", "fct_orders")
    }
    assert relations["<schema>.customers"]["rows"] == 3
    assert relations["<schema>.stg_orders"]["kind"] == "view"
    assert observed[1]["counts"]["tests_run"] == 7
    for path in first.project_dir.rglob("*"):
        if path.is_file():
            assert postgres_server.password.encode() not in path.read_bytes(), path

    assert {first.schema, second.schema} <= _scratch_schemas()
    on_postgres.release(first.schema)
    assert first.schema not in _scratch_schemas()
    assert read_location(first.location()) is None
    on_postgres.close()
    assert second.schema not in _scratch_schemas()


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_schemas_dbt_derives_are_read_and_dropped_with_the_copy(
    on_postgres: Warehouse, tmp_path: Path
):
    copy = copy_project("lifecycle", tmp_path, on_postgres)
    observed = run_scenario(
        {
            "project_dir": str(copy.project_dir),
            "profiles_dir": str(copy.profiles_dir),
            "location": copy.location().as_json(),
            "target": copy.target,
            "steps": [step("seed", "seed").as_json(), step("snap", "snapshot").as_json()],
        }
    )
    snapshot = observed[1]["warehouse"]["<schema>_snapshots.orders_snapshot"]
    assert (snapshot["rows"], snapshot["current"]) == (4, 4)
    assert f"{copy.schema}_snapshots" in _scratch_schemas()
    on_postgres.release(copy.schema)
    assert not {copy.schema, f"{copy.schema}_snapshots"} & _scratch_schemas()


def test_duckdb_copies_keep_a_file_each_and_need_no_server(tmp_path: Path):
    warehouse = Warehouse.choose("duckdb", environ={})
    copy = copy_project("healthy", tmp_path, warehouse)
    assert (copy.warehouse, copy.schema) == ("duckdb", None)
    assert copy.location() == Location("duckdb", path=str(copy.database_path))
    assert read_location(copy.location()) is None  # dbt never opened it
    output = yaml.safe_load((copy.profiles_dir / "profiles.yml").read_text())["healthy"]
    assert output["outputs"]["dev"]["path"] == str(copy.database_path)
    assert warehouse.slug.startswith("duckdb-")
    assert "a file per project copy" in warehouse.describe()
    warehouse.release(copy.schema)  # nothing to give back
    assert os.path.isdir(copy.project_dir)


def test_nothing_there_and_what_is_missing_are_both_named():
    table = {"kind": "table", "rows": 3, "digest": "d"}
    expected = Observation(warehouse={"<schema>.customers": table})
    shown = [str(found) for found in compare(expected, Observation(), ("warehouse",))]
    assert shown == [
        "warehouse: reference something, runtime nothing",
        "relation <schema>.customers: reference present, runtime absent",
    ]
    empty = [str(found) for found in compare(Observation(warehouse={}), Observation())]
    assert empty == ["warehouse: reference something, runtime nothing"]
    assert compare(Observation(), Observation()) == []


def test_a_warehouse_the_kit_cannot_read_is_named_so(monkeypatch: pytest.MonkeyPatch):
    class Nowhere:
        plugin, remote_calls, cache_root, unobservable = None, None, None, {}

    broken = Location("postgres", schema="floe_x")
    recorder = Recorder(Nowhere(), span_recorder(), location=broken, artifacts=False)  # type: ignore[arg-type]
    monkeypatch.setenv("PGPORT", "port")
    call = recorder.call("a call", lambda: None)
    assert call.warehouse == {UNREADABLE: {"kind": "unreadable (WarehouseUnavailable)"}}
