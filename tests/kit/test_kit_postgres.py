"""On PostgreSQL the kit refuses what DuckDB cannot show, and certifies the correct runtime.

``POSTGRES_VARIANTS`` deploy where their profile does not say (the default
schema, the default database): on DuckDB nothing of that exists, and the
kit certifies them on the same rows; on PostgreSQL, where the kit reads the
scratch schema the target names, it refuses each on exactly those rows,
naming the relations it lacks. Every scratch schema is gone afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_dbt_compliance.warehouse.postgres import PostgresSettings

from tests.support.postgres_server import PostgresServer

from .conftest import certificate, rows
from .variants import POSTGRES_VARIANTS, WAREHOUSE_ROWS

pytest_plugins = ("pytester",)

#: A row that reads no table: every variant passes it on PostgreSQL too.
UNTOUCHED = "compile.manifest"
NAMES = ("acme", *POSTGRES_VARIANTS)


def _args(report: str, cache: Path) -> list[str]:
    args = ["--floe-dbt-compliance", f"--floe-dbt-report={report}", "-p", "no:cacheprovider"]
    args.append(f"--floe-dbt-reference-cache={cache}")
    for name in NAMES:
        args.append(f"--floe-dbt-runtime={name}")
        args += [f"--floe-dbt-requirement={name}:{row}" for row in (*WAREHOUSE_ROWS, UNTOUCHED)]
    return args


def _statuses(pytester: pytest.Pytester, report: str, name: str) -> dict[str, str]:
    found = rows(certificate(pytester, name, report))
    return {key: row["status"] for key, row in found.items() if row["status"] != "not run"}


def _scratch_schemas() -> list[str]:
    settings = PostgresSettings.from_environment()
    with settings.connection() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like 'floe!_%' escape '!'")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_variants_wrong_only_on_postgres_are_refused_there_and_certified_on_duckdb(
    kit_dir: pytest.Pytester,
    postgres_server: PostgresServer,
    reference_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    checked = {*WAREHOUSE_ROWS, UNTOUCHED}
    on_duckdb = kit_dir.runpytest_inprocess(*_args("duckdb", reference_cache))
    assert on_duckdb.ret == pytest.ExitCode.OK, on_duckdb.stdout.str()[-3000:]
    for name in NAMES:
        assert _statuses(kit_dir, "duckdb", name) == dict.fromkeys(checked, "passed"), name

    for key, value in postgres_server.environ().items():
        monkeypatch.setenv(key, value)
    before = set(_scratch_schemas())
    on_postgres = kit_dir.runpytest_inprocess(
        *_args("postgres", reference_cache), "--floe-dbt-warehouse=postgres"
    )
    output = on_postgres.stdout.str()
    assert on_postgres.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert _statuses(kit_dir, "postgres", "acme") == dict.fromkeys(checked, "passed")
    for name, variant in POSTGRES_VARIANTS.items():
        document = certificate(kit_dir, name, "postgres")
        assert document["verdict"] == "not certified"
        assert _statuses(kit_dir, "postgres", name) == {
            **dict.fromkeys(variant.rows, "failed"),
            UNTOUCHED: "passed",
        }, name
        reason = rows(document)["run.all"]["reason"]
        assert "relation <schema>.customers: reference present, runtime absent" in reason
        assert "postgres" in document["oracle"]["warehouse"]
    assert postgres_server.password not in output
    for path in (kit_dir.path / "postgres").rglob("*"):
        if path.is_file():
            assert postgres_server.password not in path.read_text(encoding="utf-8"), path
    assert set(_scratch_schemas()) == before  # every scratch schema was dropped
