"""The jaffle-shop-like project of ``jaffle/``, copied for one test, and edits to a copy.

``jaffle/`` is a small dbt project that is brought up from an empty DuckDB file
the way real projects are: three CSV seeds (customers, orders, payments in
cents), a snapshot of the customers (timestamp strategy, so its rows do not
depend on when it ran), three staging views, two marts (``orders`` with one
amount column per payment method, ``customers``) and tests, plus two vars
(``start_date``, ``payment_methods``) that change what the marts hold.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from floe_dbt_compliance.projects import ProjectCopy

__all__ = ["JAFFLE_DIR", "copy_jaffle", "write_file"]

JAFFLE_DIR = Path(__file__).resolve().parent / "jaffle"
_IGNORED = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal", ".user.yml")


def copy_jaffle(destination: Path) -> ProjectCopy:
    """Copy ``jaffle/`` to ``destination/jaffle``, its DuckDB file inside the copy.

    dbt-duckdb resolves a relative database path against the working
    directory, so the copy's profile gets an absolute one.
    """
    project_dir = (destination / "jaffle").resolve()
    shutil.copytree(JAFFLE_DIR, project_dir, ignore=_IGNORED)
    copy = ProjectCopy("jaffle", project_dir, project_dir)
    profiles_path = project_dir / "profiles.yml"
    profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8"))
    profiles["jaffle"]["outputs"]["dev"]["path"] = str(copy.database_path)
    profiles_path.write_text(yaml.safe_dump(profiles, sort_keys=False), encoding="utf-8")
    return copy


def write_file(copy: ProjectCopy, relative: str, text: str) -> Path:
    """Write (or replace) one file of a copy."""
    path = copy.project_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
