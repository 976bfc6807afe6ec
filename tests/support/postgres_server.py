"""A throwaway PostgreSQL server for this repository's tests and ``make certify-postgres``.

The kit itself only ever reads libpq's standard variables (``PGHOST`` …); this
module is how the repository gets a server to point them at: the PostgreSQL
server binaries on the machine (Debian's ``postgresql`` package, found through
``pg_config --bindir``), a temporary data directory, a random password, a free
port on 127.0.0.1, and everything stopped and removed at the end.

``pg_ctl`` detaches the server, so a session killed outright (SIGTERM, SIGKILL,
a CI job cancelled) would leave it running: a watchdog process, in a session of
its own, holds the read end of a pipe only the starting process writes to, and
stops the server and removes its directory when that end reports EOF, which the
kernel delivers however the starter ended. No polling, no signal handlers.

The server refuses to run as root, so when the tests run as root it runs as an
unprivileged user (``nobody``) through ``runuser``; the data directory then
belongs to that user. pytest-postgresql does the same job but calls ``pg_ctl``
as the current user, which is root in CI.

Used two ways:

* ``--throwaway-postgres`` (a pytest option registered by the root
  ``conftest.py``): one server for the whole session, started before the kit
  reads the ``PG*`` variables, which are set for the session and inherited
  by xdist's workers;
* the ``postgres_server`` fixture: the session's server when there is one,
  otherwise one started for the tests that ask for it (per xdist worker).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_bindir", "throwaway_postgres"]

_UNPRIVILEGED = "nobody"
# Durability is not what a test server is for; these make initdb and DDL-heavy
# dbt runs several times faster.
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
_DATABASE = "floe"
_USER = "floe"
_ENV_KEYS = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


@dataclass(frozen=True)
class PostgresServer:
    """Where a running server listens, as libpq's standard variables name it."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def environ(self) -> dict[str, str]:
        """The ``PG*`` variables that point libpq (and dbt-postgres) at this server."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }

    def __repr__(self) -> str:  # the password stays out of test output
        return f"PostgresServer({self.host}:{self.port}, user={self.user}, db={self.database})"


def find_bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``, or ``None`` when the server is not installed."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(result.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", _UNPRIVILEGED, "--", *command]


# Run by the watchdog: wait for EOF on stdin (the starter's end closed, by exit or death),
# then stop the server if it still runs and remove its directory.
_WATCHDOG = """
import json, shutil, subprocess, sys
sys.stdin.buffer.read()
stop, root = json.loads(sys.argv[1]), sys.argv[2]
subprocess.run(stop, capture_output=True, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


@contextlib.contextmanager
def _watchdog(stop: list[str], root: Path) -> Iterator[None]:
    """Stop the server and remove ``root`` when this process ends, however it ends."""
    read_end, write_end = os.pipe()  # neither is inherited by later children
    try:
        subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps(stop), str(root)],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to the session's process group spares it
        )
    finally:
        os.close(read_end)
    try:
        yield
    finally:
        os.close(write_end)  # the orderly end: the watchdog finds nothing left to do


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


@contextlib.contextmanager
def throwaway_postgres(bindir: Path | None = None) -> Iterator[PostgresServer]:
    """Start a PostgreSQL server in a temporary directory; stop and remove it on exit.

    Args:
        bindir: Where ``initdb`` and ``pg_ctl`` are; found with :func:`find_bindir` by default.

    Yields:
        The server, listening on 127.0.0.1 with a password known only to this process.

    Raises:
        RuntimeError: No server binaries, or the server would not start.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        raise RuntimeError(
            "no PostgreSQL server binaries (initdb): install Debian's postgresql package"
        )
    root = Path(tempfile.mkdtemp(prefix="floe-postgres-"))
    password = secrets.token_urlsafe(18)
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(_UNPRIVILEGED)
            os.chown(root, owner.pw_uid, owner.pw_gid)
        password_file = root / "password"
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        if os.geteuid() == 0:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        data = root / "data"
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                _USER,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            "initdb",
        )
        password_file.unlink()
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        with _watchdog(_as_server_user(stop), root):
            port = _start(bindir, root, data)
            try:
                server = PostgresServer("127.0.0.1", port, _USER, password, _DATABASE)
                _create_database(bindir, server)
                yield server
            finally:
                _run(stop, "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(bindir: Path, root: Path, data: Path) -> int:
    # A free port can be taken between the probe and the server's bind: try a few.
    last_error: RuntimeError | None = None
    for _ in range(5):
        port = _free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} {_FAST}"
        try:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-o",
                    options,
                    "start",
                ],
                "pg_ctl start",
            )
        except RuntimeError as exc:
            last_error = exc
            continue
        return port
    raise RuntimeError(f"the PostgreSQL server would not start: {last_error}")


def _create_database(bindir: Path, server: PostgresServer) -> None:
    environ = {**os.environ, **server.environ(), "PGDATABASE": "postgres"}
    result = subprocess.run(
        [str(bindir / "createdb"), server.database],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"createdb failed: {result.stderr.strip()}")


# -- pytest wiring ------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--throwaway-postgres",
        action="store_true",
        default=False,
        help="start a PostgreSQL server for this session (the machine's server binaries, a "
        "temporary data directory, 127.0.0.1) and point the PG* variables at it",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # xdist's workers inherit the controller's PG* variables: one server per session.
    if not config.getoption("--throwaway-postgres") or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    stack = contextlib.ExitStack()
    server = stack.enter_context(throwaway_postgres())
    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    os.environ.update(server.environ())

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stack.close()

    config.add_cleanup(restore)


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[PostgresServer]:
    """A PostgreSQL server: the session's (``--throwaway-postgres``) or one of its own."""
    if pytestconfig.getoption("--throwaway-postgres"):
        yield PostgresServer(
            os.environ["PGHOST"],
            int(os.environ["PGPORT"]),
            os.environ["PGUSER"],
            os.environ["PGPASSWORD"],
            os.environ["PGDATABASE"],
        )
        return
    if find_bindir() is None:
        reason = "no PostgreSQL server binaries on this machine (Debian's postgresql package)"
        # CI installs them (.ci/run): there a missing server is a broken set-up, not a skip.
        if os.environ.get("FLOE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with throwaway_postgres() as server:
        yield server
