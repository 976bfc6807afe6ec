"""Fixtures for testing the kit from the outside: a pytester directory with the acme runtimes.

``kit_dir`` makes the pytester directory an installed-looking third-party
package: ``acme_dbt.py`` plus an ``acme_dbt-1.0.dist-info`` whose
``entry_points.txt`` registers ``acme`` and every broken variant under
``floe.dbt``, and a ``conftest.py`` implementing ``pytest_floe_dbt_harness``
for them (a cache directory, a remote-call counter and the token as the
secret) except for the names in ``DEFAULT_HARNESS``, which get the kit's
default harness (the class built with no arguments).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dbt.cli.main  # noqa: F401
import duckdb  # noqa: F401
import floe_dbt_compliance.spans  # noqa: F401
import opentelemetry.sdk.trace  # noqa: F401
import pytest

import floe_core.telemetry  # noqa: F401

from .variants import VARIANTS

# Imported here, before any in-process pytester run: pytester drops the modules
# a run imported, and re-importing dbt-core in a later run fails inside
# importlib.metadata ("No package metadata was found for pydantic"), while a
# re-imported OpenTelemetry SDK no longer matches the process's global tracer
# provider. Kept in the outer process's snapshot, they are shared by every run.

HERE = Path(__file__).parent
DEFAULT_HARNESS = ("acme-no-lock", "acme-per-instance-lock", "acme-needs-args")

HARNESS_CONFTEST = f"""
from floe_core.plugin_registry import PluginRegistry
from floe_dbt_compliance import RuntimeHarness

import acme_dbt

DEFAULT_HARNESS = {DEFAULT_HARNESS!r}


def pytest_floe_dbt_harness(name, project, tmp_path_factory):
    if not name.startswith("acme") or name in DEFAULT_HARNESS:
        return None
    cls = PluginRegistry().load_class("dbt", name)
    cache_dir = tmp_path_factory.mktemp(name + "-cache")
    counter = acme_dbt.Counter()
    return RuntimeHarness.for_project(
        project,
        lambda **options: cls(cache_dir=cache_dir, counter=counter, **options),
        remote_calls=lambda: counter.calls,
        cache_root=cache_dir,
        secrets=(acme_dbt.TOKEN,),
    )
"""


def entry_points_text() -> str:
    lines = ["[floe.dbt]", "acme = acme_dbt:AcmeRuntime", "acme-needs-args = acme_dbt:NeedsArgs"]
    lines += [f"{name} = acme_dbt:{cls}" for name, (cls, _key) in VARIANTS.items()]
    return "\n".join(lines) + "\n"


def install_acme(directory: Path) -> None:
    """Make ``directory`` hold the acme package as if pip had installed it there."""
    shutil.copy(HERE / "acme_dbt.py", directory / "acme_dbt.py")
    dist_info = directory / "acme_dbt-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-dbt\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(entry_points_text(), encoding="utf-8")


@pytest.fixture
def kit_dir(pytester: pytest.Pytester) -> pytest.Pytester:
    install_acme(pytester.path)
    pytester.makeconftest(HARNESS_CONFTEST)
    pytester.syspathinsert()
    return pytester


def certificate(pytester: pytest.Pytester, runtime: str, report: str = "report") -> dict[str, Any]:
    path = pytester.path / report / runtime / "certificate.json"
    return json.loads(path.read_text(encoding="utf-8"))


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in document["requirements"]}
