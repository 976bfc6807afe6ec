"""Fixtures for the hostile-input suite: project copies with a second (``prod``) target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from floe_dbt_compliance.projects import ProjectCopy, copy_project


@pytest.fixture
def project_with_prod(tmp_path: Path) -> Callable[[str], ProjectCopy]:
    """Copy a fixture project and give its profile a ``prod`` target on another DuckDB file.

    An injected ``--target prod`` would write to ``prod.duckdb``: its very
    existence after a call proves the injection worked.
    """

    def make(name: str) -> ProjectCopy:
        copy = copy_project(name, tmp_path)
        profiles_path = copy.profiles_dir / "profiles.yml"
        profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
        outputs = profiles[name]["outputs"]
        outputs["prod"] = {**outputs["dev"], "path": str(copy.project_dir / "prod.duckdb")}
        profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
        return copy

    return make
