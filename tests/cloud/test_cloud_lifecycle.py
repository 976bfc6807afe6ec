"""A real project brought up through the cloud runtime on the emulator: seed, snapshot, build, vars.

The jaffle-shop-like project of ``tests/lifecycle/jaffle`` starts from an
empty DuckDB file. Through ``cloud`` (real HTTP on loopback, real dbt-core in
the emulator) it is seeded, snapshotted and built with vars, and the
warehouse must hold exactly what plain ``dbt seed && dbt snapshot && dbt
build --vars ...`` leaves in another copy.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloud_helpers import PacedSleep
from dbt.cli.main import dbtRunner
from floe_dbt_compliance.projects import ProjectCopy
from pydantic import SecretStr

from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator
from floe_dbt_local.adapters import release_adapters

# The jaffle project and the warehouse reader are the lifecycle suite's own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lifecycle"))
from jaffle_project import copy_jaffle
from warehouse_dump import warehouse_contents

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

# Later orders only, and the payment columns in another order than the project's default.
VARS = {
    "start_date": "2018-02-01",
    "payment_methods": ["gift_card", "bank_transfer", "coupon", "credit_card"],
}


def _plain_dbt(copy: ProjectCopy) -> None:
    """``dbt seed && dbt snapshot && dbt build --vars ...``, as a person would type them."""
    where = ["--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    try:
        for command in (["seed"], ["snapshot"], ["build", "--vars", json.dumps(VARS)]):
            result = dbtRunner().invoke([*command, *where, "--target", "dev"])
            assert result.success, (command, result.exception)
    finally:
        release_adapters()  # dbt-duckdb would keep the file open for the process's life


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[DBTCloudPlugin, ProjectCopy, DbtCloudEmulator]]:
    copy = copy_jaffle(tmp_path / "cloud")
    with DbtCloudEmulator() as emulator, serve_emulator(emulator) as server:
        project = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
        # The lifecycle commands on a job of their own, as a platform team may set them up.
        build_job = emulator.add_job(project.environment_id, ["dbt build"], name="jaffle build")
        runtime = DBTCloudPlugin(
            str(emulator.account_id),
            SecretStr(emulator.token),
            server.base_url,
            {**project.job_ids, "build": build_job},
            poll_interval_seconds=0.2,
            cache_dir=tmp_path / "cache",
            sleep=PacedSleep(),
        )
        try:
            yield runtime, copy, emulator
        finally:
            runtime.close()


def test_seed_snapshot_build_with_vars_leave_what_plain_dbt_leaves(
    cloud: tuple[DBTCloudPlugin, ProjectCopy, DbtCloudEmulator], tmp_path: Path
) -> None:
    runtime, copy, emulator = cloud
    where = (copy.project_dir, copy.profiles_dir, copy.target)
    assert not copy.database_path.exists()

    seeded = runtime.seed(*where)
    assert (seeded.success, seeded.models_run, seeded.failures) == (True, 0, 0)
    assert (seeded.metadata["seeds_run"], seeded.metadata["snapshots_run"]) == (3, 0)
    snapshotted = runtime.snapshot(*where)
    assert (snapshotted.success, snapshotted.metadata["snapshots_run"]) == (True, 1)
    built = runtime.with_vars({"start_date": "2018-02-01"}).build(
        *where, vars={"payment_methods": VARS["payment_methods"]}
    )
    assert (built.success, built.models_run, built.failures) == (True, 5, 0)
    assert (built.metadata["seeds_run"], built.metadata["snapshots_run"]) == (3, 1)
    assert built.tests_run > 0
    # Each command ran as its own step, on its job, and its own step's artifacts were read.
    runs = sorted(emulator.runs.values(), key=lambda run: run.id)
    assert [run.steps_to_run for run in runs] == [
        ["dbt seed"],
        ["dbt snapshot"],
        [f"dbt build --vars '{json.dumps(VARS)}'"],
    ]
    assert [run.job_id for run in runs][-1] == built.metadata["job_id"]
    assert json.loads(built.run_results_path.read_text())["args"]["vars"] == VARS

    plain = copy_jaffle(tmp_path / "plain")
    _plain_dbt(plain)
    cloud_warehouse = warehouse_contents(copy.database_path)
    assert cloud_warehouse == warehouse_contents(plain.database_path)
    assert {"main.orders", "snapshots.customers_snapshot"} <= set(cloud_warehouse)
    orders = cloud_warehouse["main.orders"]
    assert [name for name, _ in orders.columns][4:8] == [
        f"{method}_amount" for method in VARS["payment_methods"]
    ]
    assert sorted(row[0] for row in orders.rows) == list(range(6, 11))  # since February
