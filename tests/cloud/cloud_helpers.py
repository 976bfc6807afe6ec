"""Shared helpers of the cloud runtime's tests: constants, fake time, canned API answers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from floe_dbt_compliance.projects import ProjectCopy
from pydantic import SecretStr

from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import (
    DbtCloudEmulator,
    DbtStep,
    EmulatedProject,
    EmulatorServer,
    StepOutcome,
)

TOKEN = "dbtc_s3cr3t-token-value-never-printed"
ACCOUNT = "4242"
JOB_IDS = {"compile": 11, "run": 12, "test": 13}
BASE = "https://cloud.getdbt.com/api/v2"
API = f"{BASE}/accounts/{ACCOUNT}"


@dataclass
class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=timezone.utc)


@dataclass
class UtcClock:
    """The cache's wall clock, moved by hand (starts at :data:`T0`)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class PacedSleep:
    """Records every requested wait and waits at most ``cap`` seconds of real time.

    Loopback tests use it so the retry schedule (2/4/8 s) can be asserted
    without the suite spending those seconds; the short real wait paces
    polling so a test does not hammer the emulator.
    """

    cap: float = 0.02
    requested: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.requested.append(seconds)
        time.sleep(min(seconds, self.cap))

    def retry_waits(self) -> list[float]:
        """The waits of the retry schedule (polling waits are far below a second here)."""
        return [seconds for seconds in self.requested if seconds >= 1]


def unit_plugin(tmp_path: Path, fake: FakeTime, **options: Any) -> DBTCloudPlugin:
    """A plugin against the mocked cloud.getdbt.com, with fake time and its own cache."""
    settings: dict[str, Any] = {
        "poll_interval_seconds": 4.0,
        "timeout_seconds": 60.0,
        "cache_dir": tmp_path / "cache",
        "sleep": fake.sleep,
        "clock": fake.clock,
    }
    settings.update(options)
    return DBTCloudPlugin(ACCOUNT, SecretStr(TOKEN), BASE, JOB_IDS, **settings)


def run_payload(
    run_id: int,
    status: int,
    *,
    job_id: int = 12,
    steps: list[dict[str, Any]] | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """A ``RunResponseEnveloped`` body as dbt Cloud sends it (with ``trigger`` given a cause)."""
    payload = {
        "status": {
            "code": 200,
            "is_success": True,
            "user_message": "Success!",
            "developer_message": "",
        },
        "data": {
            "id": run_id,
            "account_id": int(ACCOUNT),
            "job_definition_id": job_id,
            "environment_id": 77,
            "project_id": 5,
            "status": status,
            "status_humanized": {
                1: "Queued",
                3: "Running",
                10: "Success",
                20: "Error",
                30: "Cancelled",
            }[status],
            "dbt_version": "1.11.0",
            "created_at": "2026-01-01T00:00:00Z",
            "started_at": None,
            "finished_at": None,
            "href": f"https://cloud.getdbt.com/#/accounts/{ACCOUNT}/runs/{run_id}/",
            "run_steps": steps or [],
        },
    }
    if cause is not None:
        payload["data"]["trigger"] = {"id": run_id, "cause": cause, "job_definition_id": job_id}
    return payload


def runs_page(*runs: dict[str, Any], total_count: int | None = None) -> dict[str, Any]:
    """A ``RunResponseListEnveloped`` body holding the ``data`` of ``run_payload`` answers."""
    data = [run["data"] for run in runs]
    return {
        "status": runs[0]["status"] if runs else run_payload(1, 10)["status"],
        "data": data,
        "extra": {
            "filters": {},
            "order_by": "id",
            "pagination": {
                "count": len(data),
                "total_count": len(data) if total_count is None else total_count,
            },
        },
    }


def step(index: int, name: str, status: int = 10, logs: str = "") -> dict[str, Any]:
    return {
        "index": index,
        "name": name,
        "status": status,
        "logs": logs,
        "run_id": 1,
        "account_id": 1,
    }


def _metadata(kind: str) -> dict[str, str]:
    return {
        "dbt_schema_version": f"https://schemas.getdbt.com/dbt/{kind}/v12.json",
        "dbt_version": "1.11.0",
    }


def run_results(*statuses: tuple[str, str]) -> bytes:
    """A minimal dbt run_results.json with (unique_id, status) results."""
    return json.dumps(
        {
            "metadata": _metadata("run-results"),
            "results": [{"unique_id": uid, "status": status} for uid, status in statuses],
        }
    ).encode()


def manifest(*unique_ids: str, **extra: Any) -> bytes:
    """A minimal dbt manifest.json holding these nodes (and ``extra`` top-level fields)."""
    nodes = {
        uid: {"unique_id": uid, "resource_type": uid.split(".")[0], "name": uid.split(".")[-1]}
        for uid in unique_ids
    }
    document = {"metadata": _metadata("manifest"), "nodes": nodes, "sources": {}, **extra}
    return json.dumps(document).encode()


def catalog(*unique_ids: str) -> bytes:
    """A minimal dbt catalog.json holding these nodes."""
    nodes = {uid: {"unique_id": uid, "columns": {}} for uid in unique_ids}
    return json.dumps({"metadata": _metadata("catalog"), "nodes": nodes, "sources": {}}).encode()


class StubExecutor:
    """Writes small, valid artifacts instead of running dbt (for HTTP-layer tests only)."""

    def __init__(self, success: bool = True) -> None:
        self.success = success
        self.commands: list[DbtStep] = []
        self.project_dirs: list[Path] = []

    def __call__(
        self, command: DbtStep, project_dir: Path, profiles_dir: Path, target: str
    ) -> StepOutcome:
        self.commands.append(command)
        self.project_dirs.append(project_dir)
        target_dir = project_dir / "target"
        target_dir.mkdir(exist_ok=True)
        node = f"model.stub.{command.command}"
        (target_dir / "manifest.json").write_bytes(manifest(node))
        if command.command != "compile":
            status = "success" if self.success else "error"
            (target_dir / "run_results.json").write_bytes(run_results((node, status)))
        return StepOutcome(self.success, f"stub {command.text}")


@dataclass
class Served:
    """An emulator serving one fixture project on loopback, and how to reach it."""

    emulator: DbtCloudEmulator
    server: EmulatorServer
    project: EmulatedProject
    copy: ProjectCopy
    cache_dir: Path
    built: list[DBTCloudPlugin] = field(default_factory=list)

    def plugin(self, **options: Any) -> DBTCloudPlugin:
        settings: dict[str, Any] = {
            "poll_interval_seconds": 0.2,
            "timeout_seconds": 120.0,
            "cache_dir": self.cache_dir,
            "discovery_url": self.server.discovery_url,
        }
        settings.update(options)
        plugin = DBTCloudPlugin(
            str(self.emulator.account_id),
            SecretStr(self.emulator.token),
            self.server.base_url,
            self.project.job_ids,
            **settings,
        )
        self.built.append(plugin)  # closed by the `serve` fixture
        return plugin
