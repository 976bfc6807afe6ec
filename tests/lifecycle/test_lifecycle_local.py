"""The local runtime's lifecycle capability: seed, snapshot, build and vars, on real DuckDB files.

Every check reads what dbt did: the statuses in ``run_results.json`` and the
rows in the warehouse.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy
from jaffle_project import write_file

from floe_core.lifecycle import supports_lifecycle
from floe_dbt_local import LocalDBTPlugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

Query = Callable[[Path, str], list[tuple[object, ...]]]
SEEDS = {"raw_customers": 6, "raw_orders": 10, "raw_payments": 12}
BAD_SEED_PROPERTIES = """\
version: 2
seeds:
  - name: bad_amounts
    config:
      column_types: {amount: integer}
"""


def _where(copy: ProjectCopy) -> tuple[Path, Path, str]:
    return copy.project_dir, copy.profiles_dir, copy.target


def _statuses(runtime: LocalDBTPlugin, copy: ProjectCopy) -> dict[str, str]:
    """``{resource.project.name: status}`` of the last call (generic tests lose their hash)."""
    results = runtime.get_run_results(copy.project_dir)["results"]
    return {".".join(row["unique_id"].split(".")[:3]): row["status"] for row in results}


def _counts(result: object) -> tuple[object, ...]:
    return (
        result.success,  # type: ignore[attr-defined]
        result.models_run,  # type: ignore[attr-defined]
        result.tests_run,  # type: ignore[attr-defined]
        result.failures,  # type: ignore[attr-defined]
        result.metadata["seeds_run"],  # type: ignore[attr-defined]
        result.metadata["snapshots_run"],  # type: ignore[attr-defined]
    )


def _relations(query: Query, copy: ProjectCopy) -> set[str]:
    rows = query(
        copy.database_path,
        "select table_schema || '.' || table_name from information_schema.tables",
    )
    return {str(row[0]) for row in rows}


def _columns(query: Query, copy: ProjectCopy, table: str) -> list[str]:
    rows = query(
        copy.database_path,
        f"select column_name from information_schema.columns where table_name = '{table}' "
        "order by ordinal_position",
    )
    return [str(row[0]) for row in rows]


def _add_email_column(copy: ProjectCopy) -> None:
    """Give ``raw_customers.csv`` a new column: its table must be recreated to take it."""
    csv = copy.project_dir / "seeds" / "raw_customers.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",email", *(line + ",x@example.com" for line in lines[1:])]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_the_local_runtime_declares_the_capability(runtime: LocalDBTPlugin) -> None:
    assert supports_lifecycle(runtime)
    assert supports_lifecycle(runtime.with_vars({"start_date": "2018-02-01"}))


def test_seed_loads_every_seed_and_a_bad_row_is_a_failed_result(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    write_file(jaffle, "seeds/bad_amounts.csv", "id,amount\n1,10\n2,not a number\n")
    write_file(jaffle, "seeds/bad_amounts.yml", BAD_SEED_PROPERTIES)

    result = runtime.seed(*_where(jaffle))

    # success, models_run, tests_run, failures, seeds_run, snapshots_run
    assert _counts(result) == (False, 0, 0, 1, 4, 0)
    assert _statuses(runtime, jaffle) == {
        "seed.jaffle.bad_amounts": "error",
        **{f"seed.jaffle.{name}": "success" for name in SEEDS},
    }
    for name, rows in SEEDS.items():
        assert query(jaffle.database_path, f"select count(*) from {name}") == [(rows,)]
    assert result.metadata["command"] == "seed"


def test_seed_select_exclude_and_full_refresh(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    where = _where(jaffle)
    only = runtime.seed(*where, select="raw_customers raw_orders", exclude="raw_orders")
    assert _counts(only) == (True, 0, 0, 0, 1, 0)
    assert _relations(query, jaffle) == {"main.raw_customers"}

    # A new column in the CSV: the existing table cannot take it ...
    _add_email_column(jaffle)
    changed = runtime.seed(*where, select="raw_customers")
    assert _counts(changed) == (False, 0, 0, 1, 1, 0)
    assert "email" not in _columns(query, jaffle, "raw_customers")
    # ... until it is dropped and recreated.
    refreshed = runtime.seed(*where, select="raw_customers", full_refresh=True)
    assert _counts(refreshed) == (True, 0, 0, 0, 1, 0)
    assert _columns(query, jaffle, "raw_customers")[-1] == "email"
    assert query(jaffle.database_path, "select count(distinct email) from raw_customers") == [(1,)]
    assert _relations(query, jaffle) == {"main.raw_customers"}


def test_a_snapshot_run_twice_records_the_change_in_between(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    where = _where(jaffle)
    runtime.seed(*where, select="raw_customers")
    first = runtime.snapshot(*where)
    assert _counts(first) == (True, 0, 0, 0, 0, 1)
    assert _statuses(runtime, jaffle) == {"snapshot.jaffle.customers_snapshot": "success"}

    csv = jaffle.project_dir / "seeds" / "raw_customers.csv"
    text = csv.read_text(encoding="utf-8")
    assert "3,Kathleen,P.,2018-01-02 00:00:00" in text
    csv.write_text(
        text.replace("3,Kathleen,P.,2018-01-02 00:00:00", "3,Kathy,P.,2018-02-01 00:00:00"),
        encoding="utf-8",
    )
    runtime.seed(*where, select="raw_customers")
    second = runtime.snapshot(*where)
    assert _counts(second) == (True, 0, 0, 0, 0, 1)

    history = query(
        jaffle.database_path,
        "select first_name, dbt_valid_from, dbt_valid_to from snapshots.customers_snapshot "
        "where id = 3 order by dbt_valid_from",
    )
    day = datetime.datetime
    assert history == [
        ("Kathleen", day(2018, 1, 2), day(2018, 2, 1)),
        ("Kathy", day(2018, 2, 1), None),
    ]
    assert query(jaffle.database_path, "select count(*) from snapshots.customers_snapshot") == [
        (7,)
    ]
    # Excluded, it does not run (and the history stays as it is).
    excluded = runtime.snapshot(*where, exclude="customers_snapshot")
    assert _counts(excluded) == (True, 0, 0, 0, 0, 0)
    assert query(jaffle.database_path, "select count(*) from snapshots.customers_snapshot") == [
        (7,)
    ]


def test_build_skips_what_depends_on_a_failing_test(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    orders = jaffle.project_dir / "seeds" / "raw_orders.csv"
    orders.write_text(orders.read_text(encoding="utf-8") + "11,2,2018-03-02,lost\n")

    result = runtime.build(*_where(jaffle))

    assert _counts(result) == (False, 3, 1, 1, 3, 1)
    assert _statuses(runtime, jaffle) == {
        **{f"seed.jaffle.{name}": "success" for name in SEEDS},
        "snapshot.jaffle.customers_snapshot": "success",
        "model.jaffle.stg_customers": "success",
        "model.jaffle.stg_orders": "success",
        "model.jaffle.stg_payments": "success",
        "test.jaffle.assert_known_order_statuses": "fail",
        # Downstream of stg_orders, whose test failed: never run.
        "model.jaffle.orders": "skipped",
        "model.jaffle.customers": "skipped",
        "test.jaffle.assert_order_amounts_add_up": "skipped",
        "test.jaffle.assert_orders_have_customers": "skipped",
        "test.jaffle.unique_orders_order_id": "skipped",
        "test.jaffle.not_null_orders_order_id": "skipped",
        "test.jaffle.unique_customers_customer_id": "skipped",
        "test.jaffle.not_null_customers_customer_id": "skipped",
    }
    assert {"main.orders", "main.customers"}.isdisjoint(_relations(query, jaffle))


def test_build_select_exclude_and_full_refresh(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    where = _where(jaffle)
    result = runtime.build(*where, select="+customers", exclude="customers_snapshot")
    assert _counts(result) == (True, 5, 7, 0, 3, 0)
    assert "snapshot.jaffle.customers_snapshot" not in _statuses(runtime, jaffle)
    assert not any(name.startswith("snapshots.") for name in _relations(query, jaffle))
    assert query(jaffle.database_path, "select count(*) from customers") == [(6,)]

    _add_email_column(jaffle)
    kept = runtime.build(*where, select="raw_customers")
    assert _counts(kept) == (False, 0, 0, 1, 1, 0)
    rebuilt = runtime.build(*where, select="raw_customers", full_refresh=True)
    assert _counts(rebuilt) == (True, 0, 0, 0, 1, 0)
    assert _columns(query, jaffle, "raw_customers")[-1] == "email"
    assert runtime.get_run_results(jaffle.project_dir)["args"]["full_refresh"] is True


def test_vars_change_what_the_models_hold(
    jaffle: ProjectCopy, runtime: LocalDBTPlugin, query: Query
) -> None:
    where = _where(jaffle)

    def orders() -> list[tuple[object, ...]]:
        return query(jaffle.database_path, "select order_id from orders order by order_id")

    everything = runtime.build(*where)
    assert _counts(everything) == (True, 5, 7, 0, 3, 1)
    assert orders() == [(n,) for n in range(1, 11)]

    since_february = runtime.build(*where, select="stg_orders+", vars={"start_date": "2018-02-01"})
    assert (since_february.success, since_february.models_run) == (True, 3)
    assert orders() == [(n,) for n in range(6, 11)]

    march = runtime.with_vars({"start_date": "2018-03-01"})
    assert march.run_models(*where, select="stg_orders+").models_run == 3
    assert orders() == [(10,)]

    # A call's vars are merged over the bound ones.
    transfer_only = march.build(
        *where, select="orders", vars={"payment_methods": ["bank_transfer"]}
    )
    assert (transfer_only.success, transfer_only.models_run, transfer_only.tests_run) == (
        True,
        1,
        4,
    )
    assert runtime.get_run_results(jaffle.project_dir)["args"]["vars"] == {
        "start_date": "2018-03-01",
        "payment_methods": ["bank_transfer"],
    }
    assert _columns(query, jaffle, "orders") == [
        "order_id",
        "customer_id",
        "order_date",
        "status",
        "bank_transfer_amount",
        "amount",
    ]
    assert query(jaffle.database_path, "select order_id, amount from orders") == [(10, 26.0)]

    # run_tests passes the bound vars: the amounts test names one column per payment method.
    transfer_runtime = march.with_vars({"payment_methods": ["bank_transfer"]})
    bound_tests = transfer_runtime.run_tests(*where, select="orders")
    assert (bound_tests.success, bound_tests.tests_run, bound_tests.failures) == (True, 4, 0)
    unbound_tests = runtime.run_tests(*where, select="orders")
    assert (unbound_tests.success, unbound_tests.failures) == (False, 1)
    assert _statuses(runtime, jaffle)["test.jaffle.assert_order_amounts_add_up"] == "error"

    # compile_project passes them too.
    transfer_runtime.compile_project(*where)
    compiled = jaffle.project_dir / "target" / "compiled" / "jaffle" / "models" / "staging"
    assert "cast('2018-03-01' as date)" in (compiled / "stg_orders.sql").read_text()

    # The runtime the others were bound from is unchanged.
    assert runtime.run_models(*where, select="stg_orders+").models_run == 3
    assert orders() == [(n,) for n in range(1, 11)]
