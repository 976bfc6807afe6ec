"""Variants only generated projects expose: runtimes tuned to the kit's own fixture projects.

Each behaves correctly on a project whose ``name:`` is one of the kit's
fixtures and breaks a promise on any other project, as a runtime tuned
until the fixture scenarios pass would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from floe_dbt_compliance.projects import FIXTURE_PROJECTS

from . import AcmeRuntime


def _known(project_dir: Path) -> bool:
    document = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return document.get("name") in FIXTURE_PROJECTS


class SelectsOnlyOnKnownProjects(AcmeRuntime):
    """run_models ignores select on a project that is not one of the kit's fixtures."""

    def _arguments(
        self,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        options: dict[str, Any],
    ) -> list[str]:
        if command == "run" and not _known(project_dir):
            options = {**options, "select": None}
        return super()._arguments(command, project_dir, profiles_dir, target, options)


class ExcludesFirstMemberOnly(AcmeRuntime):
    """Excludes only the first member of a union ("a b" excludes a)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if exclude is not None:
            exclude = exclude.split(" ")[0]
        return super()._selection(select, exclude, full_refresh)
