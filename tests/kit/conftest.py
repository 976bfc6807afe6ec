"""Fixtures for testing the kit from the outside: a pytester directory with the acme runtimes.

``kit_dir`` makes the pytester directory an installed-looking third-party
package: the ``acme_dbt`` package plus an ``acme_dbt-1.0.dist-info`` whose
``entry_points.txt`` registers ``acme``, ``acme-basic`` (no lifecycle
capability) and every broken variant under ``floe.dbt``, and a
``conftest.py`` implementing ``pytest_floe_dbt_harness`` for them (a cache
directory, a remote-call counter and the token as the secret) except for
the variants built by the kit's default harness (the class with no arguments).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import dbt.cli.main  # noqa: F401
import duckdb  # noqa: F401
import floe_dbt_compliance.oracle.reference
import floe_dbt_compliance.spans  # noqa: F401
import opentelemetry.sdk.trace  # noqa: F401
import psycopg2.sql  # noqa: F401  (kept loaded: its C half re-imports it to check Composed)
import pytest

import floe_core.telemetry  # noqa: F401
import floe_dbt_local.dbt_errors  # noqa: F401

from .variants import ALL_VARIANTS, VARIANTS, Variant

# Imported here, before any in-process pytester run: pytester drops the modules
# a run imported, and re-importing dbt-core in a later run fails inside
# importlib.metadata ("No package metadata was found for pydantic"), while a
# re-imported OpenTelemetry SDK no longer matches the process's global tracer
# provider; a re-imported psycopg2 lacks psycopg2.errors, which dbt-postgres reads, and
# a re-imported psycopg2.sql is not the module psycopg2's C half checks a Composed
# query against ("argument 1 must be a string ... got Composed").
# Kept in the outer process's snapshot, they are shared by every run.

HERE = Path(__file__).parent
CORRECT = {"acme": "acme_dbt:AcmeRuntime", "acme-basic": "acme_dbt:AcmeBasic"}


def harness_classes(variants: dict[str, Variant]) -> dict[str, str]:
    """Runtime name -> ``module:Class`` the acme harness builds."""
    classes = dict(CORRECT)
    for name, variant in variants.items():
        module, _, attribute = variant.target.partition(":")
        if variant.harness is not None:
            module, attribute = "acme_dbt", variant.harness
        classes[name] = (
            f"acme_dbt.{module}:{attribute}" if module != "acme_dbt" else (f"acme_dbt:{attribute}")
        )
    return classes


def harness_conftest(variants: dict[str, Variant]) -> str:
    """The acme conftest: ``pytest_floe_dbt_harness`` for acme and these variants."""
    default = ("acme-needs-args", *(n for n, v in variants.items() if v.default_harness))
    return HARNESS_CONFTEST.format(default=default, classes=harness_classes(variants))


HARNESS_CONFTEST = """
import importlib

from floe_dbt_compliance import RuntimeHarness
from floe_dbt_compliance.projects import copy_project

import acme_dbt

DEFAULT_HARNESS = {default!r}
CLASSES = {classes!r}


def pytest_floe_dbt_harness(name, project, tmp_path_factory):
    if name not in CLASSES or name in DEFAULT_HARNESS:
        return None
    module, _, attribute = CLASSES[name].partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    if isinstance(project, str):  # an older kit passed the fixture project's name
        project = copy_project(project, tmp_path_factory.mktemp(name))
    cache_dir = tmp_path_factory.mktemp(name + "-cache")
    counter = acme_dbt.Counter()

    def new_instance(**options):
        return cls(cache_dir=cache_dir, counter=counter, **options)

    return RuntimeHarness(
        plugin=new_instance(),
        project_dir=project.project_dir,
        profiles_dir=project.profiles_dir,
        target=project.target,
        new_instance=new_instance,
        database_path=project.database_path,
        remote_calls=lambda: counter.calls,
        cache_root=cache_dir,
        secrets=(acme_dbt.TOKEN,),
    )
"""


def entry_points_text(variants: dict[str, Variant]) -> str:
    lines = ["[floe.dbt]", *(f"{name} = {target}" for name, target in CORRECT.items())]
    lines.append("acme-needs-args = acme_dbt:NeedsArgs")
    for name, variant in variants.items():
        module, _, attribute = variant.target.partition(":")
        lines.append(f"{name} = acme_dbt.{module}:{attribute}")
    return "\n".join(lines) + "\n"


def install_acme(directory: Path, variants: dict[str, Variant] = VARIANTS) -> None:
    """Make ``directory`` hold the acme package (and these variants) as pip would install it."""
    shutil.copytree(
        HERE / "acme_dbt", directory / "acme_dbt", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist_info = directory / "acme_dbt-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-dbt\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(entry_points_text(variants), encoding="utf-8")


@pytest.fixture
def kit_dir(pytester: pytest.Pytester) -> pytest.Pytester:
    install_acme(pytester.path, ALL_VARIANTS)
    pytester.makeconftest(harness_conftest(ALL_VARIANTS))
    pytester.syspathinsert()
    return pytester


@pytest.fixture(scope="session")
def reference_cache(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """One reference store for every kit session of this test session (and its xdist workers).

    ``FLOE_DBT_REFERENCE_CACHE`` names a lasting one instead: ``make`` points it
    where ``make certify`` keeps plain dbt-core's outcomes, so each is computed once.
    """
    lasting = os.environ.get("FLOE_DBT_REFERENCE_CACHE")
    if lasting:
        return Path(lasting).resolve()
    base = tmp_path_factory.getbasetemp()
    root = base.parent if hasattr(pytestconfig, "workerinput") else base
    return root / "floe-dbt-reference-of-the-kit-tests"


def certificate(pytester: pytest.Pytester, runtime: str, report: str = "report") -> dict[str, Any]:
    """The certificate the session wrote: the partial one when it was partial (rows selected)."""
    directory = pytester.path / report / runtime
    written = [directory / name for name in ("certificate.json", "certificate.partial.json")]
    existing = [path for path in written if path.is_file()]
    assert len(existing) == 1, f"expected one certificate in {directory}, found {existing}"
    return json.loads(existing[0].read_text(encoding="utf-8"))


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in document["requirements"]}


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` and the digest of its bytes (what "untouched" means)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
