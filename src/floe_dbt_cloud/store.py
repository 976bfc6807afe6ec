"""Where the cloud runtime keeps a run's artifacts in the project: its ``target-path``.

dbt Cloud runs remotely; what its run wrote is downloaded, checked and
scrubbed, then written where dbt would have written it locally: the
project's ``target-path`` as dbt resolves it (``DBT_TARGET_PATH``, else
``dbt_project.yml``'s ``target-path``, else ``target``; the one function
every runtime and the kit use, :func:`floe_core.artifacts.target_path`), so
that whatever reads a local dbt project's artifacts reads these.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from floe_core.artifacts import target_path
from floe_core.errors import DBTExecutionError
from floe_dbt_cloud.cache_disk import atomic_write_bytes

__all__ = ["save_artifacts", "target_dir"]


def target_dir(project_dir: Path, *, create: bool) -> Path:
    """The project's target directory, made when ``create`` (before a run: artifacts go there).

    Raises:
        DBTExecutionError: ``create`` and the directory cannot be made.
    """
    directory = target_path(Path(project_dir))
    if create:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DBTExecutionError(
                f"cannot write dbt Cloud artifacts into {directory}: {exc.strerror}"
            ) from exc
    return directory


def save_artifacts(directory: Path, artifacts: Mapping[str, bytes]) -> None:
    """Write checked artifacts into the target directory, each atomically, readable by all.

    Raises:
        OSError: A file cannot be written.
    """
    for name, content in artifacts.items():
        atomic_write_bytes(directory / name, content, mode=0o644)
