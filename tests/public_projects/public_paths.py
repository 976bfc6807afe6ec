"""One public project through one path, and what it left: every node's status, every relation.

Each path runs on its own copy of the unpacked tree (the project and its
local packages, laid out as in the archive), with a profile of its own: DuckDB
in a file inside the copy, one thread. The paths:

* ``plain``: the oracle, dbt-core's ``dbtRunner`` called directly: ``dbt deps``
  (when the project has packages), ``dbt seed``, ``dbt build``;
* ``local``: ``dbt deps`` as a user runs it, then ``LocalDBTPlugin.seed`` and
  ``.build``;
* ``cloud``: ``DBTCloudPlugin.seed`` and ``.build`` against the emulator on
  loopback, whose runs install the packages themselves (its ``dbt deps`` step);
* ``dagster``: ``dbt deps``, then a full materialisation of
  ``DagsterOrchestratorPlugin.build_definitions(LocalDBTPlugin())``; its nodes
  are the materialisations and check evaluations, read from Dagster's events.
  Its external assets must be exactly the tables sources read that no seed,
  model or snapshot builds (read from the manifest, not from floe_dagster).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from floe_dbt_compliance.warehouse import Location, Relation, WarehouseKind, read_location
from public_archives import PublicProject
from pydantic import SecretStr

from floe_core.artifacts import read_json_artifact
from floe_core.plugin_interfaces import DBTRunResult
from floe_dbt_local import LocalDBTPlugin

__all__ = ["PATHS", "Outcome", "Workspace", "install_packages", "prepare", "run_path"]

TARGET = "dev"
_DATABASE = "warehouse.duckdb"


@dataclass(frozen=True)
class Workspace:
    """A private copy of a project's tree and the profile written for it."""

    project: PublicProject
    root: Path

    @property
    def project_dir(self) -> Path:
        return self.root / self.project.path

    @property
    def database(self) -> Path:
        return self.project_dir / _DATABASE


@dataclass(frozen=True)
class Outcome:
    """What a path did: ``{"seed"|"build": {unique_id: status}}``, the warehouse, the time.

    Dagster has no separate seed step: its nodes are all under ``"build"``.
    """

    nodes: dict[str, dict[str, str]]
    relations: dict[str, Relation]
    seconds: float

    @property
    def tests(self) -> list[str]:
        """The data and unit tests the build ran to a verdict."""
        return sorted(
            uid
            for uid, status in self.nodes["build"].items()
            if uid.startswith(("test.", "unit_test."))
            and status in {"pass", "fail", "warn", "error"}
        )


def prepare(project: PublicProject, unpacked: Path, destination: Path) -> Workspace:
    """Copy the unpacked tree and give the project a DuckDB profile inside the copy."""
    root = destination / "tree"
    shutil.copytree(unpacked, root, ignore=shutil.ignore_patterns(".floe-unpacked"))
    workspace = Workspace(project, root.resolve())
    settings = yaml.safe_load((workspace.project_dir / "dbt_project.yml").read_text())
    profile = {
        str(settings["profile"]): {
            "target": TARGET,
            "outputs": {TARGET: {"type": "duckdb", "path": str(workspace.database), "threads": 1}},
        }
    }
    (workspace.project_dir / "profiles.yml").write_text(yaml.safe_dump(profile))
    if project.setup:
        # The project's own set-up script (e.g. a source table dbt does not manage).
        assert project.setup_database_env, "a setup script needs the variable naming the database"
        environment = {**os.environ, project.setup_database_env: str(workspace.database)}
        subprocess.run(
            [sys.executable, str(workspace.project_dir / project.setup)],
            check=True,
            env=environment,
            cwd=workspace.project_dir,
            timeout=120,
        )
    return workspace


def _dbt(workspace: Workspace, *args: str) -> dict[str, Any]:
    """Plain dbt-core, in-process, under the lock every dbt invocation here takes."""
    from dbt.cli.main import dbtRunner

    where = workspace.project_dir
    arguments = [*args, "--project-dir", str(where), "--profiles-dir", str(where)]
    if args[0] != "deps":
        arguments += ["--target", TARGET]
    with LocalDBTPlugin.invocation_lock.hold(args[0], where, timeout_seconds=600):
        result = dbtRunner().invoke([*arguments, "--log-level", "none"])
    if args[0] == "deps":
        assert result.success, f"dbt deps failed: {result.exception}"
        return {}
    assert result.exception is None, f"dbt {args[0]} could not run: {result.exception}"
    return read_json_artifact(where / "target" / "run_results.json", what=f"dbt {args[0]} ran")


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {entry["unique_id"]: entry["status"] for entry in document["results"]}


def _result_statuses(result: DBTRunResult) -> dict[str, str]:
    return _statuses(read_json_artifact(result.run_results_path, what="the runtime ran"))


def _has_packages(workspace: Workspace) -> bool:
    return any((workspace.project_dir / n).is_file() for n in ("packages.yml", "dependencies.yml"))


def install_packages(workspace: Workspace) -> None:
    """`dbt deps`, as the user runs it, when the project declares packages."""
    if _has_packages(workspace):
        _dbt(workspace, "deps")


def _plain(workspace: Workspace) -> dict[str, dict[str, str]]:
    install_packages(workspace)
    return {
        "seed": _statuses(_dbt(workspace, "seed")),
        "build": _statuses(_dbt(workspace, "build")),
    }


def _local(workspace: Workspace) -> dict[str, dict[str, str]]:
    install_packages(workspace)
    runtime = LocalDBTPlugin()
    where = (workspace.project_dir, workspace.project_dir, TARGET)
    return {
        "seed": _result_statuses(runtime.seed(*where)),
        "build": _result_statuses(runtime.build(*where)),
    }


def _cloud(workspace: Workspace) -> dict[str, dict[str, str]]:
    from floe_dbt_cloud import DBTCloudPlugin
    from floe_dbt_cloud_emulator import DbtCloudEmulator, serve_emulator

    where = (workspace.project_dir, workspace.project_dir, TARGET)
    with DbtCloudEmulator(package_index=False) as emulator, serve_emulator(emulator) as server:
        served = emulator.add_project(*where)
        runtime = DBTCloudPlugin(
            str(emulator.account_id),
            SecretStr(emulator.token),
            server.base_url,
            served.job_ids,
            poll_interval_seconds=0.1,
            timeout_seconds=600.0,
            cache_dir=workspace.root / "cloud-cache",
        )
        try:
            return {
                "seed": _result_statuses(runtime.seed(*where)),
                "build": _result_statuses(runtime.build(*where)),
            }
        finally:
            runtime.close()


def _external_sources(workspace: Workspace) -> set[str]:
    """The external assets a full Dagster graph must have, read from the manifest alone.

    One per table that a source read by a node names and no seed, model or
    snapshot builds (DuckDB compares names case-insensitively): a source a seed
    feeds is that seed's asset, never an asset of its own.
    """
    manifest = read_json_artifact(
        workspace.project_dir / "target" / "manifest.json", what="the project compiled"
    )
    built = {
        str(node["relation_name"]).lower()
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"seed", "model", "snapshot"} and node.get("relation_name")
    }
    read = {
        uid
        for node in manifest["nodes"].values()
        for uid in node.get("depends_on", {}).get("nodes", ())
    }
    tables: dict[str, str] = {}
    for uid in sorted(read & manifest["sources"].keys()):
        source = manifest["sources"][uid]
        table = str(source["relation_name"]).lower()
        if table not in built:
            parts = (source["database"], source["schema"], source["identifier"])
            tables.setdefault(table, "/".join(part for part in parts if part))
    return set(tables.values())


def _dagster(workspace: Workspace) -> dict[str, dict[str, str]]:
    from floe_dagster import DagsterOrchestratorPlugin

    install_packages(workspace)
    where = (workspace.project_dir, workspace.project_dir, TARGET)
    runtime = LocalDBTPlugin()
    runtime.compile_project(*where)
    definitions = DagsterOrchestratorPlugin(*where).build_definitions(runtime)
    assert definitions.metadata == {}, f"tests without a check: {definitions.metadata}"
    graph = definitions.resolve_asset_graph()
    external = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if not graph.get(key).is_materializable
    }
    expected = _external_sources(workspace)
    assert external == expected, f"external assets {sorted(external)}, not {sorted(expected)}"
    result = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        raise_on_error=False
    )
    nodes: dict[str, str] = {}
    metadata = [
        *(
            event.step_materialization_data.materialization.metadata
            for event in result.get_asset_materialization_events()
        ),
        *(evaluation.metadata for evaluation in result.get_asset_check_evaluations()),
    ]
    for entry in metadata:
        uid = str(entry["dbt/unique_id"].value)
        assert uid not in nodes, f"{uid} reported twice by one materialisation"
        nodes[uid] = str(entry["dbt/status"].value)
    return {"build": nodes}


PATHS: dict[str, Callable[[Workspace], dict[str, dict[str, str]]]] = {
    "plain": _plain,
    "local": _local,
    "cloud": _cloud,
    "dagster": _dagster,
}


def run_path(name: str, project: PublicProject, unpacked: Path, destination: Path) -> Outcome:
    """Run one path on a fresh copy and read the warehouse it left."""
    workspace = prepare(project, unpacked, destination)
    started = time.perf_counter()
    nodes = PATHS[name](workspace)
    seconds = time.perf_counter() - started
    where = Location(WarehouseKind.DUCKDB.value, path=str(workspace.database))
    relations = read_location(where) or {}
    return Outcome(nodes, relations, seconds)
