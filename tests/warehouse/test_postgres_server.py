"""The repository's throwaway PostgreSQL server: it really serves, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.support.postgres_server import PostgresServer, throwaway_postgres

pytestmark = pytest.mark.integration


def _connect(server: PostgresServer) -> psycopg2.extensions.connection:
    return psycopg2.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        dbname=server.database,
    )


def test_the_session_server_accepts_the_password_it_was_given(
    postgres_server: PostgresServer,
) -> None:
    with _connect(postgres_server) as connection, connection.cursor() as cursor:
        cursor.execute("select current_user, current_database(), inet_server_addr()::text")
        assert cursor.fetchone() == ("floe", "floe", "127.0.0.1/32")


def test_a_wrong_password_is_refused(postgres_server: PostgresServer) -> None:
    wrong = PostgresServer(
        postgres_server.host,
        postgres_server.port,
        postgres_server.user,
        postgres_server.password + "x",
        postgres_server.database,
    )
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        _connect(wrong)


def test_the_password_stays_out_of_the_repr(postgres_server: PostgresServer) -> None:
    assert postgres_server.password not in repr(postgres_server)


def test_a_server_is_stopped_and_its_directory_removed_on_exit() -> None:
    with throwaway_postgres() as server:
        with _connect(server) as connection, connection.cursor() as cursor:
            cursor.execute("show data_directory")
            (data,) = cursor.fetchone()
        assert Path(data).is_dir()
    assert not Path(data).parent.exists()
    with pytest.raises(psycopg2.OperationalError):
        _connect(server)


def test_the_environment_names_every_libpq_variable(postgres_server: PostgresServer) -> None:
    environ = postgres_server.environ()
    assert sorted(environ) == ["PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGUSER"]
    assert environ["PGPORT"] == str(postgres_server.port)
    assert os.environ.get("PGPASSWORD") in (None, postgres_server.password)


_KILLED_STARTER = """
import json, sys
from tests.support.postgres_server import throwaway_postgres
with throwaway_postgres() as server:
    print(json.dumps({"port": server.port, "password": server.password}), flush=True)
    sys.stdin.read()  # until killed
"""


def test_a_server_whose_starter_is_killed_outright_is_stopped_and_removed_all_the_same() -> None:
    # SIGKILL runs no handler and no finally: only the watchdog can stop the server.
    root = Path(__file__).resolve().parents[2]
    starter = subprocess.Popen(
        [sys.executable, "-c", _KILLED_STARTER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        started = json.loads(starter.stdout.readline())  # type: ignore[union-attr]
        server = PostgresServer("127.0.0.1", started["port"], "floe", started["password"], "floe")
        with _connect(server) as connection, connection.cursor() as cursor:
            cursor.execute("show data_directory")
            (data,) = cursor.fetchone()
        children = Path(f"/proc/{starter.pid}/task/{starter.pid}/children").read_text().split()
        watchdogs = [os.pidfd_open(int(pid)) for pid in children]
        assert len(watchdogs) == 1, children  # pg_ctl has returned; the server is detached
    finally:
        starter.kill()
        starter.wait()
    # The watchdog's exit, awaited on its pidfd (it is not our child): it has finished.
    ready, _, _ = select.select(watchdogs, [], [], 120)
    assert ready == watchdogs, "the watchdog did not finish within two minutes"
    os.close(watchdogs[0])
    assert not Path(data).parent.exists()
    with pytest.raises(psycopg2.OperationalError):
        _connect(server)
