"""``python -m floe_dbt_cloud_emulator``: serve the dbt Cloud emulator for a person.

With no ``--project`` it serves a fresh copy of the kit's healthy fixture
project. It prints what a ``manifest.yaml`` needs, then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from floe_dbt_cloud_emulator.core import DbtCloudEmulator, EmulatedProject
from floe_dbt_cloud_emulator.server import EmulatorServer, serve_emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m floe_dbt_cloud_emulator",
        description="Serve a dbt Cloud emulator (Admin API v2 + Discovery) on 127.0.0.1.",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        help="dbt project directory to serve (default: a copy of the healthy fixture project)",
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        default=None,
        help="default: the project directory (a relative DuckDB path in the profile resolves "
        "against the current directory, as with dbt itself)",
    )
    parser.add_argument("--target", default="dev", help="profile target (default: dev)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--account-id", type=int, default=1)
    parser.add_argument("--token", default=None, help="token to accept (default: random)")
    parser.add_argument(
        "--step-delay", type=float, default=0.0, help="seconds between run statuses and steps"
    )
    parser.add_argument(
        "--no-package-index",
        dest="package_index",
        action="store_false",
        help="install packages only from local paths and the project's installed copies",
    )
    return parser


def describe(server: EmulatorServer, project: EmulatedProject) -> str:
    """What a person needs to point floe at the emulator."""
    emulator = server.emulator
    jobs = project.job_ids
    return f"""dbt Cloud emulator serving {project.name!r}
  base URL:       {server.base_url}
  discovery URL:  {server.discovery_url}
  account id:     {emulator.account_id}
  token:          {emulator.token}
  environment id: {project.environment_id}

manifest.yaml:
  plugins:
    dbt_runtime: cloud
    dbt_runtime_config:
      cloud:
        account_id: "{emulator.account_id}"
        api_token_ref: dbt-cloud-api-token   # export FLOE_SECRET_DBT_CLOUD_API_TOKEN=<token>
        base_url: {server.base_url}
        discovery_url: {server.discovery_url}
        environment_id: {project.environment_id}
        job_ids: {{compile: {jobs["compile"]}, run: {jobs["run"]}, test: {jobs["test"]}}}

Press Ctrl-C to stop."""


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Run the emulator until Ctrl-C (or until ``stop`` is set, for tests).

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="floe-dbt-cloud-emulator-project-"))
    try:
        if args.project is None:
            from floe_dbt_compliance.projects import copy_project

            copy = copy_project("healthy", scratch)
            project_dir, profiles_dir = copy.project_dir, copy.profiles_dir
        else:
            project_dir = args.project
            profiles_dir = args.profiles_dir or args.project
        with DbtCloudEmulator(
            args.account_id, args.token, args.step_delay, package_index=args.package_index
        ) as emulator:
            project = emulator.add_project(project_dir, profiles_dir, args.target)
            with serve_emulator(emulator, port=args.port) as server:
                print(describe(server, project), flush=True)
                with contextlib.suppress(KeyboardInterrupt):
                    (stop or threading.Event()).wait()
    except (FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
