"""Shared set-up of the cloud benchmarks: the healthy fixture served by the emulator on loopback."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_dbt_compliance.projects import ProjectCopy, copy_project
from pydantic import SecretStr

from floe_dbt_cloud import DBTCloudPlugin
from floe_dbt_cloud_emulator import (
    DbtCloudEmulator,
    EmulatedProject,
    EmulatorServer,
    serve_emulator,
)


@dataclass
class CloudBench:
    emulator: DbtCloudEmulator
    server: EmulatorServer
    project: EmulatedProject
    copy: ProjectCopy
    scratch: Path

    def plugin(self, **options: Any) -> DBTCloudPlugin:
        settings: dict[str, Any] = {"cache_dir": self.scratch / "cache"}
        settings.update(options)
        return DBTCloudPlugin(
            str(self.emulator.account_id),
            SecretStr(self.emulator.token),
            self.server.base_url,
            self.project.job_ids,
            **settings,
        )

    def run_args(self) -> tuple[Path, Path, str]:
        return self.copy.project_dir, self.copy.profiles_dir, self.copy.target


@contextmanager
def healthy_cloud() -> Iterator[CloudBench]:
    # dbt's own events are not what these benchmarks measure.
    logging.getLogger("floe_dbt_local").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="floe-cloud-bench-") as scratch:
        copy = copy_project("healthy", Path(scratch))
        with DbtCloudEmulator() as emulator:
            project = emulator.add_project(copy.project_dir, copy.profiles_dir, copy.target)
            with serve_emulator(emulator) as server:
                yield CloudBench(emulator, server, project, copy, Path(scratch))
