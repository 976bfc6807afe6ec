"""PostgreSQL as the kit's warehouse: libpq's variables, scratch schemas, reading and dropping them.

Where the server is comes only from libpq's standard environment variables,
``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD`` and ``PGDATABASE`` (and
libpq's password file when ``PGPASSWORD`` is unset); unset, the kit uses
``localhost``, ``5432``, the login name and a database of that name. The
password is never an option, never written: the profiles the kit writes
name ``env_var('PGPASSWORD', '')``, and the kit's own connections leave it
to libpq. Every project copy gets its own *scratch schema* (``floe_`` and
random hex); dbt may derive more from it (``<schema>_snapshots``), and the
kit reads, compares and drops them all. Relations are named with the
scratch part replaced by ``<schema>``, so two copies compare.
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from floe_dbt_compliance.errors import WarehouseUnavailable
from floe_dbt_compliance.warehouse.relations import Relation, failed_relation, relation_state

__all__ = [
    "ENVIRONMENT",
    "SCHEMA_PLACEHOLDER",
    "PostgresSettings",
    "drop_schemas",
    "read_schemas",
    "scratch_schema",
]

ENVIRONMENT = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
SCHEMA_PLACEHOLDER = "<schema>"
_PREFIX = "floe_"
_KINDS = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "materialized view"}
_LIST = (
    "select n.nspname, c.relname, c.relkind from pg_catalog.pg_class c "
    "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
    "where c.relkind in ('r', 'p', 'f', 'v', 'm') "
    "and (n.nspname = %(schema)s or n.nspname like %(derived)s escape '!') order by 1, 2"
)
_SCHEMAS = (
    "select nspname from pg_catalog.pg_namespace "
    "where nspname = %(schema)s or nspname like %(derived)s escape '!'"
)
_SET_TO = "Set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (libpq's variables)"


def scratch_schema() -> str:
    """A new scratch schema's name: unique across processes, sessions and machines."""
    return f"{_PREFIX}{secrets.token_hex(6)}"


def _derived(schema: str) -> str:
    """The LIKE pattern of the schemas dbt derives from ``schema`` (``<schema>_<suffix>``)."""
    escaped = schema.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"{escaped}!_%"


@dataclass(frozen=True)
class PostgresSettings:
    """Where the server is, as libpq's variables say (the password stays with libpq).

    Attributes:
        host: ``PGHOST`` (default ``localhost``).
        port: ``PGPORT`` (default 5432).
        user: ``PGUSER`` (default the login name).
        database: ``PGDATABASE`` (default the user's name).
    """

    host: str
    port: int
    user: str
    database: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> PostgresSettings:
        """Read libpq's variables.

        Raises:
            WarehouseUnavailable: ``PGPORT`` is not a port number.
        """
        environ = os.environ if environ is None else environ
        user = environ.get("PGUSER") or getpass.getuser()
        port = environ.get("PGPORT") or "5432"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise WarehouseUnavailable(f"PGPORT={port!r} is not a port number. {_SET_TO}.")
        return cls(
            host=environ.get("PGHOST") or "localhost",
            port=int(port),
            user=user,
            database=environ.get("PGDATABASE") or user,
        )

    @property
    def where(self) -> str:
        """``host:port, database D, user U``: what every message names."""
        return f"{self.host}:{self.port}, database {self.database}, user {self.user}"

    def profile_output(self, schema: str, threads: int) -> dict[str, Any]:
        """A dbt-postgres output on ``schema``; the password is read by dbt from ``PGPASSWORD``."""
        return {
            "type": "postgres",
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": "{{ env_var('PGPASSWORD', '') }}",
            "dbname": self.database,
            "schema": schema,
            "threads": threads,
        }

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """An autocommit connection (libpq finds the password); closed on exit.

        Raises:
            WarehouseUnavailable: psycopg2 is not installed, or the server cannot be reached.
        """
        try:
            import psycopg2  # lazy: dbt-postgres's dependency, not the kit's
        except ImportError as exc:
            raise WarehouseUnavailable(
                "--floe-dbt-warehouse postgres needs dbt-postgres and psycopg2: "
                f"pip install 'floe-dbt[postgres]' ({exc})"
            ) from None
        try:
            connection = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                dbname=self.database,
                connect_timeout=10,
                application_name="floe-dbt-kit",
            )
        except psycopg2.Error as exc:
            raise WarehouseUnavailable(
                f"cannot connect to PostgreSQL at {self.where}: {_message(exc)}. {_SET_TO} to "
                "a server where this user may create schemas."
            ) from None
        connection.autocommit = True
        try:
            yield connection
        finally:
            connection.close()

    def check(self) -> str:
        """Connect, and make sure the user may create schemas; return the server's version.

        Raises:
            WarehouseUnavailable: Unreachable, refused, or no right to create schemas.
        """
        with self.connection() as connection, connection.cursor() as cursor:
            cursor.execute(
                "select current_setting('server_version'), "
                "has_database_privilege(current_user, current_database(), 'CREATE')"
            )
            version, may_create = cursor.fetchone()
        if not may_create:
            raise WarehouseUnavailable(
                f"PostgreSQL at {self.where}: the user may not create schemas in the database; "
                "grant it CREATE, or set PGUSER/PGDATABASE to one where it may"
            )
        return str(version)


def _message(error: BaseException) -> str:
    text = " ".join(str(error).split())
    password = os.environ.get("PGPASSWORD")
    return text.replace(password, "<secret>") if password else text


def _value(value: Any) -> Any:
    # bytea arrives as a memoryview, whose repr is its address.
    return bytes(value) if isinstance(value, memoryview) else value


def _relation(cursor: Any, schema: str, name: str, kind: str) -> Relation:
    from psycopg2 import sql

    try:
        cursor.execute(
            sql.SQL("select * from {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
        )
        columns = [column[0] for column in cursor.description]
        rows = [tuple(_value(value) for value in row) for row in cursor.fetchall()]
    except Exception as exc:  # a view over a dropped table: the state, not a crash
        return failed_relation(kind, exc)
    return relation_state(kind, columns, rows)


def read_schemas(settings: PostgresSettings, schema: str) -> dict[str, Relation] | None:
    """Every relation of ``schema`` and of those dbt derived from it; ``None`` when none exists.

    Keys are ``<schema>[_suffix].<name>``: the scratch part is replaced by
    :data:`SCHEMA_PLACEHOLDER`, so copies with other scratch schemas compare.
    """
    with settings.connection() as connection, connection.cursor() as cursor:
        cursor.execute(_SCHEMAS, {"schema": schema, "derived": _derived(schema)})
        if not cursor.fetchall():
            return None  # dbt never created it: as a DuckDB file dbt never opened
        cursor.execute(_LIST, {"schema": schema, "derived": _derived(schema)})
        listed = cursor.fetchall()
        return {
            f"{SCHEMA_PLACEHOLDER}{space[len(schema) :]}.{name}": _relation(
                cursor, space, name, _KINDS[kind]
            )
            for space, name, kind in listed
        }


def drop_schemas(settings: PostgresSettings, schemas: Iterable[str]) -> None:
    """Drop these scratch schemas and those dbt derived from them, with what they hold."""
    from psycopg2 import sql

    with settings.connection() as connection, connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(_SCHEMAS, {"schema": schema, "derived": _derived(schema)})
            for (found,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(found))
                )
