"""A dbt Cloud emulator: Admin API v2 and a Discovery subset, running real dbt on loopback.

Use it in-process (``httpx.ASGITransport(app=emulator.app)``) or over real
HTTP (:func:`serve_emulator`), or run ``python -m floe_dbt_cloud.emulator``.

Examples:
    >>> emulator = DbtCloudEmulator()  # doctest: +SKIP
    >>> project = emulator.add_project(project_dir, profiles_dir)  # doctest: +SKIP
    >>> with serve_emulator(emulator) as server:  # doctest: +SKIP
    ...     runtime = DBTCloudPlugin(str(emulator.account_id), SecretStr(emulator.token),
    ...                              server.base_url, project.job_ids)
"""

from floe_dbt_cloud.emulator.core import DbtCloudEmulator, EmulatedProject
from floe_dbt_cloud.emulator.counters import Counters, CounterSnapshot
from floe_dbt_cloud.emulator.faults import FaultPlan
from floe_dbt_cloud.emulator.server import EmulatorServer, serve_emulator
from floe_dbt_cloud.emulator.steps import DbtStep, StepExecutor, StepOutcome
from floe_dbt_cloud.emulator.transport import (
    IN_PROCESS_BASE_URL,
    IN_PROCESS_DISCOVERY_URL,
    SyncASGITransport,
)

__all__ = [
    "IN_PROCESS_BASE_URL",
    "IN_PROCESS_DISCOVERY_URL",
    "CounterSnapshot",
    "Counters",
    "DbtCloudEmulator",
    "DbtStep",
    "EmulatedProject",
    "EmulatorServer",
    "FaultPlan",
    "StepExecutor",
    "StepOutcome",
    "SyncASGITransport",
    "serve_emulator",
]
