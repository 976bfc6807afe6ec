"""The local runtime, recording what dbt reported for each invocation, and one without lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shop_copies import run_results_ids

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult
from floe_dbt_local import LocalDBTPlugin


class RecordingLocal(LocalDBTPlugin):
    """The local runtime, keeping the nodes dbt reported for each ``run`` and ``test``."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[tuple[str, set[str]]] = []

    def run_models(self, *args: Any, **kwargs: Any) -> DBTRunResult:
        result = super().run_models(*args, **kwargs)
        self.ran.append(("run", run_results_ids(result.run_results_path)))
        return result

    def run_tests(self, *args: Any, **kwargs: Any) -> DBTRunResult:
        result = super().run_tests(*args, **kwargs)
        self.ran.append(("test", run_results_ids(result.run_results_path)))
        return result


class ModelsOnly(DBTPlugin):
    """The local runtime behind the seven methods only: no lifecycle capability.

    Seeds and snapshots are then external assets, loaded by someone else.
    """

    def __init__(self) -> None:
        self.local = LocalDBTPlugin()

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        return self.local.compile_project(project_dir, profiles_dir, target)

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        return self.local.run_models(
            project_dir, profiles_dir, target, select, exclude, full_refresh
        )

    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        return self.local.run_tests(project_dir, profiles_dir, target, select)

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        return self.local.get_manifest(project_dir)

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        return self.local.get_run_results(project_dir)

    def supports_parallel_execution(self) -> bool:
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": "local-models-only"}
