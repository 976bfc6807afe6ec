"""Issue 12's end-to-end test: a project brought up through floe equals one brought up by dbt.

From an empty DuckDB file, ``examples/jaffle_shop`` goes through ``seed`` ->
``snapshot`` -> ``build(vars=...)`` on each runtime of
``conftest.LIFECYCLE_RUNTIMES``; plain ``dbt seed && dbt snapshot && dbt build
--vars ...`` (the CLI, in processes of its own) brings up another copy. Every
relation and every row of the two warehouses must be equal.
"""

from __future__ import annotations

import pytest
from bring_up import BUILD_VARS, bring_up_through, bring_up_with_dbt_cli, lifecycle_counts
from floe_dbt_compliance.projects import ProjectCopy
from jaffle_project import copy_jaffle
from warehouse_dump import Relation, warehouse_contents

from floe_core.lifecycle import DBTLifecycle

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def plain_dbt_warehouse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Relation]:
    """What plain dbt leaves in the warehouse (once per module, for every runtime)."""
    copy = copy_jaffle(tmp_path_factory.mktemp("plain_dbt"))
    bring_up_with_dbt_cli(copy)
    return warehouse_contents(copy.database_path)


def test_bring_up_through_the_runtime_equals_plain_dbt(
    lifecycle_runtime: tuple[str, DBTLifecycle],
    jaffle: ProjectCopy,
    plain_dbt_warehouse: dict[str, Relation],
) -> None:
    name, runtime = lifecycle_runtime
    assert not jaffle.database_path.exists(), "the warehouse must start empty"

    seed, snapshot, build = bring_up_through(runtime, jaffle)

    # (success, models, tests, failures, seeds, snapshots): each step did its part.
    assert lifecycle_counts(seed) == (True, 0, 0, 0, 3, 0), name
    assert lifecycle_counts(snapshot) == (True, 0, 0, 0, 0, 1), name
    assert lifecycle_counts(build) == (True, 5, 7, 0, 3, 1), name
    ours = warehouse_contents(jaffle.database_path)
    assert sorted(ours) == sorted(plain_dbt_warehouse), name
    for relation, contents in plain_dbt_warehouse.items():
        assert ours[relation] == contents, f"{name}: {relation} differs from plain dbt's"


def test_the_comparison_sees_what_the_vars_changed(
    plain_dbt_warehouse: dict[str, Relation],
) -> None:
    # Guards the test above against comparing two empty or default warehouses.
    assert set(plain_dbt_warehouse) == {
        "main.raw_customers",
        "main.raw_orders",
        "main.raw_payments",
        "main.stg_customers",
        "main.stg_orders",
        "main.stg_payments",
        "main.orders",
        "main.customers",
        "snapshots.customers_snapshot",
    }
    order_ids = sorted(row[0] for row in plain_dbt_warehouse["main.orders"].rows)
    assert order_ids == [6, 7, 8, 9, 10]  # BUILD_VARS's start_date left out January
    assert BUILD_VARS == {"start_date": "2018-02-01"}
    assert len(plain_dbt_warehouse["snapshots.customers_snapshot"].rows) == 6
