"""Real ``dbt deps`` from the package index, for what a run's project has not installed.

The packages go into a scratch project of the emulator's own (never the
caller's files), then beside the ones installed offline. dbt runs under the
local runtime's process-wide lock: dbt-core's global state allows one
invocation at a time.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["install_from_index"]

_SCRATCH_PROJECT = {"name": "floe_emulator_deps", "version": "1.0.0", "config-version": 2}


def install_from_index(specs: list[dict[str, Any]], install_dir: Path) -> str | None:
    """Install packages (``packages.yml`` entries) with ``dbt deps`` into ``install_dir``.

    Args:
        specs: The entries, as dbt rendered them.
        install_dir: The run's ``packages-install-path``; packages already
            there (installed offline) are kept.

    Returns:
        None when every package was installed; otherwise dbt's error, one line.
    """
    from dbt.cli.main import dbtRunner

    from floe_dbt_local.plugin import DEFAULT_LOCK_TIMEOUT_SECONDS, LocalDBTPlugin

    with tempfile.TemporaryDirectory(prefix="floe-emulator-deps-") as scratch:
        project = Path(scratch)
        (project / "dbt_project.yml").write_text(yaml.safe_dump(_SCRATCH_PROJECT))
        (project / "packages.yml").write_text(yaml.safe_dump({"packages": specs}))
        args = ["deps", "--project-dir", scratch, "--no-use-colors", "--log-level", "none"]
        with LocalDBTPlugin.invocation_lock.hold(
            "deps", project, timeout_seconds=DEFAULT_LOCK_TIMEOUT_SECONDS
        ):
            result = dbtRunner().invoke(args)
        if not result.success:
            detail = result.exception or "dbt deps reported a failure"
            return " ".join(str(detail).split())
        installed = project / "dbt_packages"
        for package in sorted(installed.iterdir()) if installed.is_dir() else []:
            destination = install_dir / package.name
            if not destination.exists():
                shutil.copytree(package, destination, symlinks=False)
    return None
