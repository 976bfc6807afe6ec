"""A dbt Cloud emulator: Admin API v2 and a Discovery subset, running real dbt on loopback.

Its own package, independent of the cloud runtime: it imports nothing of
:mod:`floe_dbt_cloud` (the client) and the client imports nothing of it, so a
misreading of dbt Cloud's API in one is not repeated by the other. What it
accepts and answers is held to dbt Cloud's published API document
(:mod:`floe_dbt_cloud_emulator.openapi`). The kit's cloud harness ships beside
it (:mod:`floe_dbt_cloud_emulator.kit_harness`, a ``pytest11`` plugin).

Use it in-process (``httpx.ASGITransport(app=emulator.app)``) or over real
HTTP (:func:`serve_emulator`), or run ``python -m floe_dbt_cloud_emulator``.

Nothing is imported until a name is asked for: pytest loads the harness, and so
this package, in every session of everyone who installs floe-dbt.

Examples:
    >>> emulator = DbtCloudEmulator()  # doctest: +SKIP
    >>> project = emulator.add_project(project_dir, profiles_dir)  # doctest: +SKIP
    >>> with serve_emulator(emulator) as server:  # doctest: +SKIP
    ...     runtime = DBTCloudPlugin(str(emulator.account_id), SecretStr(emulator.token),
    ...                              server.base_url, project.job_ids)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe_dbt_cloud_emulator.core import DbtCloudEmulator, EmulatedProject
    from floe_dbt_cloud_emulator.counters import Counters, CounterSnapshot
    from floe_dbt_cloud_emulator.faults import FaultPlan
    from floe_dbt_cloud_emulator.server import EmulatorServer, serve_emulator
    from floe_dbt_cloud_emulator.steps import DbtStep, StepExecutor, StepOutcome
    from floe_dbt_cloud_emulator.transport import (
        IN_PROCESS_BASE_URL,
        IN_PROCESS_DISCOVERY_URL,
        SyncASGITransport,
    )

# Each public name and the module that defines it.
_WHERE = {
    "DbtCloudEmulator": "core",
    "EmulatedProject": "core",
    "Counters": "counters",
    "CounterSnapshot": "counters",
    "FaultPlan": "faults",
    "EmulatorServer": "server",
    "serve_emulator": "server",
    "DbtStep": "steps",
    "StepExecutor": "steps",
    "StepOutcome": "steps",
    "IN_PROCESS_BASE_URL": "transport",
    "IN_PROCESS_DISCOVERY_URL": "transport",
    "SyncASGITransport": "transport",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'floe_dbt_cloud_emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(f"floe_dbt_cloud_emulator.{module}"), name)
