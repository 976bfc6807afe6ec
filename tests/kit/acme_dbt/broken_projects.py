"""Variants right for one project, wrong when one instance serves several.

Each keeps some state per instance that a single project never tells
apart from per project: a fresh harness per scenario, as every other row
has, cannot refuse them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


class LatestOfInstance(AcmeRuntime):
    """get_run_results() answers the instance's last run, whatever project it is asked about."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memory: dict[str, Any] = {}  # shared with its with_vars() copies

    def _result(
        self, command: str, project_dir: Path, outcome: Any, elapsed: float
    ) -> DBTRunResult:
        result = super()._result(command, project_dir, outcome, elapsed)
        self._memory["run_results"] = self._read(Path(result.run_results_path))
        return result

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        remembered = self._memory.get("run_results")
        return remembered if remembered is not None else super().get_run_results(project_dir)


class FirstProfilesDir(AcmeRuntime):
    """Keeps the profiles directory of its first call: a connection set up once per instance."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memory: dict[str, Path] = {}

    def _arguments(
        self, command: str, project_dir: Path, profiles_dir: Path, *rest: Any
    ) -> list[str]:
        first = self._memory.setdefault("profiles_dir", Path(profiles_dir))
        return super()._arguments(command, project_dir, first, *rest)
