"""Where a dbt project keeps its sources and writes its artifacts, read from ``dbt_project.yml``.

dbt resolves ``target-path`` and ``log-path`` from the ``DBT_TARGET_PATH`` /
``DBT_LOG_PATH`` environment variables first, then ``dbt_project.yml``, then
the defaults (``target``, ``logs``), relative to the project directory; this
module does the same (through :func:`floe_core.artifacts.target_path`, as
every runtime and the kit do), so artifacts are read where dbt wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from floe_core.artifacts import (
    MANIFEST_JSON,
    PROJECT_FILE_LIMIT,
    RUN_RESULTS_JSON,
    project_path,
    read_project_settings,
    target_path,
)

__all__ = ["PROJECT_FILES", "PROJECT_FILE_LIMIT", "ProjectLayout"]

# The source directories dbt reads by default; a project's own `*-paths` keys
# add to these (a default that does not exist costs one failed stat).
_DEFAULT_SOURCE_DIRS = (
    "models",
    "seeds",
    "tests",
    "analyses",
    "macros",
    "snapshots",
    "functions",
    "dbt_packages",
)
# Project-level files dbt reads besides dbt_project.yml.
PROJECT_FILES = (
    "dbt_project.yml",
    "packages.yml",
    "dependencies.yml",
    "package-lock.yml",
    "selectors.yml",
    ".dbtignore",
)


@dataclass(frozen=True)
class ProjectLayout:
    """The directories of one dbt project, all absolute.

    Attributes:
        project_dir: The directory holding ``dbt_project.yml``.
        target_path: Where dbt writes ``manifest.json`` and ``run_results.json``.
        log_path: Where dbt writes ``dbt.log``.
        source_dirs: Every directory dbt parses (models, macros, tests, packages ...).
        packages_path: Where ``dbt deps`` installs packages (one of ``source_dirs``).
    """

    project_dir: Path
    target_path: Path
    log_path: Path
    source_dirs: tuple[Path, ...]
    packages_path: Path | None = None

    @property
    def manifest_path(self) -> Path:
        """``<target-path>/manifest.json``."""
        return self.target_path / MANIFEST_JSON

    @property
    def run_results_path(self) -> Path:
        """``<target-path>/run_results.json``."""
        return self.target_path / RUN_RESULTS_JSON

    @classmethod
    def read(cls, project_dir: Path) -> ProjectLayout:
        """Read a project's layout; a missing or broken ``dbt_project.yml`` gives dbt's defaults.

        dbt itself reports a missing or invalid project file when it is invoked,
        with a better message than this module could give.

        Args:
            project_dir: The directory holding ``dbt_project.yml``.

        Returns:
            The layout.
        """
        project_dir = project_dir.resolve()
        config = read_project_settings(project_dir)
        logs = project_path(config, "log-path", "DBT_LOG_PATH", "logs")
        sources = list(_DEFAULT_SOURCE_DIRS)
        for key, value in config.items():
            if str(key).endswith("-paths") and isinstance(value, list):
                # Only strings: dbt refuses anything else, and str() of a nested
                # YAML alias structure could be exponentially long.
                sources.extend(item for item in value if isinstance(item, str))
        packages = (
            project_dir / _string(config.get("packages-install-path"), "dbt_packages")
        ).resolve()
        source_dirs = tuple(
            dict.fromkeys([*((project_dir / s).resolve() for s in sources), packages])
        )
        return cls(
            project_dir=project_dir,
            target_path=target_path(project_dir, config).resolve(),
            log_path=(project_dir / logs).resolve(),
            source_dirs=source_dirs,
            packages_path=packages,
        )


def _string(value: object, default: str) -> str:
    return value if isinstance(value, str) and value.strip() else default
