"""Variants that break compile_project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_dbt_local.dbt_errors import raise_for_dbt_result

from . import AcmeRuntime


class WrongManifestPath(AcmeRuntime):
    def _manifest_return(self, project_dir: Path) -> Path:
        return project_dir / "manifest.json"


class CompileOnlyParses(AcmeRuntime):
    """Runs `dbt parse` for compile_project: the manifest holds no compiled SQL."""

    def _command(self, command: str) -> str:
        return "parse" if command == "compile" else command


class CompileErrorAsExecution(AcmeRuntime):
    """Reads dbt's outcome as if every command were `run`: a node that does not compile is
    an execution error."""

    def _raise_for(self, outcome: Any, command: str, project_dir: Path) -> None:
        raise_for_dbt_result(outcome, command="run", project_dir=project_dir)
