"""The warehouse the kit runs on, and what a run leaves in it, read by the kit's own SQL.

``--floe-dbt-warehouse duckdb|postgres`` chooses it once per session
(:class:`Warehouse`). Every project copy, on the runtime under test and on
the reference, gets its own place in it (:class:`Location`): a DuckDB file
inside the copy, or a scratch schema on the PostgreSQL server libpq's
variables name (:mod:`~floe_dbt_compliance.warehouse.postgres`). The kit
reads that place itself after every call, never through the runtime
(:func:`read_location`), and drops the scratch schemas when it is done.
What a relation's state is, on either, is
:mod:`~floe_dbt_compliance.warehouse.relations`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any

from floe_dbt_compliance.warehouse.duckdb_file import read_duckdb
from floe_dbt_compliance.warehouse.postgres import (
    PostgresSettings,
    drop_schemas,
    read_schemas,
    scratch_schema,
)
from floe_dbt_compliance.warehouse.relations import Relation

__all__ = [
    "Location",
    "Relation",
    "Warehouse",
    "WarehouseKind",
    "package_version",
    "read_location",
]


class WarehouseKind(str, Enum):
    """The warehouses the kit can run its projects on (``--floe-dbt-warehouse``)."""

    DUCKDB = "duckdb"
    POSTGRES = "postgres"


@dataclass(frozen=True)
class Location:
    """Where one project copy's effects land.

    Attributes:
        kind: A :class:`WarehouseKind` value.
        path: The DuckDB file (``duckdb``).
        schema: The scratch schema (``postgres``).
    """

    kind: str
    path: str | None = None
    schema: str | None = None

    def as_json(self) -> dict[str, Any]:
        """For the reference worker."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Location:
        """Read back what :meth:`as_json` wrote."""
        return cls(str(document["kind"]), document.get("path"), document.get("schema"))


def read_location(location: Location | None) -> dict[str, Relation] | None:
    """Every relation at ``location``, ``{"<schema>.<name>": state}``.

    ``None`` when there is nothing there: no location, or dbt never opened
    the DuckDB file or created the schema (which dbt does only when it has
    something to run); ``{}`` when it did, and no relation is left.

    Raises:
        WarehouseUnavailable: The PostgreSQL server cannot be reached.
    """
    if location is None:
        return None
    if location.kind == WarehouseKind.POSTGRES.value:
        if location.schema is None:
            return None
        return read_schemas(PostgresSettings.from_environment(), location.schema)
    return None if location.path is None else read_duckdb(Path(location.path))


def package_version(distribution: str) -> str | None:
    """An installed distribution's version, ``None`` when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


class Warehouse:
    """The session's warehouse: profile outputs for copies, their locations, scratch clean-up.

    Build it with :meth:`duckdb` or :meth:`choose`.

    Args:
        kind: Which warehouse.
        postgres: The server (``postgres`` only).
        server_version: What the server said it is (``postgres`` only).
    """

    def __init__(
        self,
        kind: WarehouseKind,
        postgres: PostgresSettings | None = None,
        server_version: str | None = None,
    ) -> None:
        if (kind is WarehouseKind.POSTGRES) != (postgres is not None):
            raise ValueError("a postgres warehouse, and only one, needs its PostgresSettings")
        self.kind = kind
        self.postgres = postgres
        self.server_version = server_version
        self._scratch: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def duckdb(cls) -> Warehouse:
        """A DuckDB file per copy (the default)."""
        return cls(WarehouseKind.DUCKDB)

    @classmethod
    def choose(cls, kind: str, environ: Mapping[str, str] | None = None) -> Warehouse:
        """The warehouse ``--floe-dbt-warehouse`` names, checked before anything runs.

        Raises:
            WarehouseUnavailable: PostgreSQL cannot be reached, or used (the
                message names host, port, database, user and what to set).
            ValueError: Not a :class:`WarehouseKind`.
        """
        chosen = WarehouseKind(kind)
        if chosen is WarehouseKind.DUCKDB:
            return cls.duckdb()
        settings = PostgresSettings.from_environment(environ)
        return cls(chosen, settings, settings.check())

    @property
    def slug(self) -> str:
        """What the reference's memoised outcomes depend on: the adapter (and the server)."""
        if self.kind is WarehouseKind.DUCKDB:
            return f"duckdb-{package_version('dbt-duckdb')}"
        major = (self.server_version or "unknown").split(".")[0].split(" ")[0]
        return f"postgres{major}-{package_version('dbt-postgres')}"

    @property
    def adapter(self) -> str:
        """The dbt adapter package the reference needs."""
        return f"dbt-{self.kind.value}"

    def describe(self) -> str:
        """For the certificate: which warehouse and where (never a password)."""
        if self.postgres is None:
            return f"duckdb (dbt-duckdb {package_version('dbt-duckdb')}), a file per project copy"
        return (
            f"postgres {self.server_version} at {self.postgres.where} (dbt-postgres "
            f"{package_version('dbt-postgres')}), a scratch schema per project copy"
        )

    def scratch(self) -> str | None:
        """A new scratch schema for a copy (``None`` on DuckDB: the copy's file is its own)."""
        if self.postgres is None:
            return None
        schema = scratch_schema()
        with self._lock:
            self._scratch.add(schema)
        return schema

    def profile_output(
        self, existing: Mapping[str, Any], *, database_path: Path, schema: str | None
    ) -> dict[str, Any]:
        """The profile output a copy runs on, in place of ``existing`` (the project's own).

        A DuckDB output keeps its settings and gets the copy's file; anything
        else becomes the kit's: no target of a copy reaches another warehouse.
        """
        threads = existing.get("threads")
        threads = threads if isinstance(threads, int) and threads > 0 else 1
        if self.postgres is not None:
            assert schema is not None
            return self.postgres.profile_output(schema, threads)
        if existing.get("type") == "duckdb":
            return {**existing, "path": str(database_path)}
        return {"type": "duckdb", "path": str(database_path), "threads": threads}

    def release(self, schema: str | None) -> None:
        """Drop a copy's scratch schemas now (nothing on DuckDB: the file goes with the copy)."""
        if schema is None or self.postgres is None:
            return
        with self._lock:
            self._scratch.discard(schema)
        drop_schemas(self.postgres, [schema])

    def close(self) -> None:
        """Drop every scratch schema not yet released."""
        with self._lock:
            left, self._scratch = sorted(self._scratch), set()
        if left and self.postgres is not None:
            drop_schemas(self.postgres, left)
