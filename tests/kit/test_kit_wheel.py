"""The wheel is the product: the kit, its fixture projects and cloud's harness, from any directory.

One wheel is built per session. Its metadata must make ``pip install
floe-dbt[cloud]`` bring what certifying ``cloud`` needs (the emulator and
dbt-core), and, installed into a fresh virtual environment, the kit must run
from an empty directory outside the repository and certify ``local`` and
``cloud`` (the latter through the harness that ships in the wheel), with
``fusion`` not implemented. The fresh environment borrows this one's
third-party packages through a ``.pth`` line (installing dbt-core from an
index would take minutes); floe-dbt itself comes only from the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import FIXTURE_PROJECTS
from packaging.requirements import Requirement

from .conftest import snapshot
from .outside import ROOT, clean_env, run

pytestmark = [pytest.mark.integration]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.pop("PYTHONPATH", None)
    return run(args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def wheel(floe_wheel: Path) -> Path:
    """The session's wheel (tests/conftest.py), shared with the docs' journeys."""
    return floe_wheel


def _dist_info(wheel: Path, name: str) -> str:
    archive = zipfile.ZipFile(wheel)
    path = next(item for item in archive.namelist() if item.endswith(f".dist-info/{name}"))
    return archive.read(path).decode()


@pytest.mark.timeout(300)
def test_the_wheel_holds_the_fixture_projects_the_suites_and_clouds_harness(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for project in FIXTURE_PROJECTS:
        for name in ("dbt_project.yml", "profiles.yml", "README.md"):
            assert f"floe_dbt_compliance/fixtures/{project}/{name}" in names
    assert "floe_dbt_compliance/fixtures/healthy/models/marts/fct_orders.sql" in names
    for suite in (
        "suite_contract.py",
        "suite_scenarios.py",
        "suite_concurrency.py",
        "suite_cache.py",
    ):
        assert f"floe_dbt_compliance/suites/{suite}" in names
    assert "floe_dbt_cloud_emulator/kit_harness.py" in names
    assert "floe_dbt_cloud_emulator/__main__.py" in names
    assert not [name for name in names if name.endswith((".duckdb", "run_results.json"))]
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "floe_dbt_compliance = floe_dbt_compliance.plugin" in entry_points
    assert "floe_dbt_cloud_kit = floe_dbt_cloud_emulator.kit_harness" in entry_points


def _extra(requirements: list[Requirement], extra: str) -> set[str]:
    """What ``floe-dbt[extra]`` installs, following ``floe-dbt[other]`` inside it."""
    names: set[str] = set()
    for requirement in requirements:
        if requirement.marker is None or not requirement.marker.evaluate({"extra": extra}):
            continue
        if requirement.name == "floe-dbt":
            for other in requirement.extras:
                names |= _extra(requirements, other)
        else:
            names.add(requirement.name)
    return names


def test_the_cloud_extra_brings_what_certifying_cloud_needs(wheel: Path):
    metadata = Parser().parsestr(_dist_info(wheel, "METADATA"))
    requirements = [Requirement(text) for text in metadata.get_all("Requires-Dist") or []]
    cloud = _extra(requirements, "cloud")
    # httpx for the runtime; the emulator's server, GraphQL, OpenAPI validator and the
    # dbt-core its runs execute.
    emulator = {"httpx", "starlette", "uvicorn", "graphql-core", "openapi-core", "dbt-core"}
    assert emulator | {"dbt-duckdb"} <= cloud
    assert emulator <= _extra(requirements, "emulator")


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh virtual environment with the wheel: its python and its site-packages."""
    tmp_path = tmp_path_factory.mktemp("installed")
    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            str(wheel),
        ],
        tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).stdout.strip()
    )
    # Third-party packages from this environment, after the venv's own (and the wheel).
    (site / "zz_borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return python, site


@pytest.mark.timeout(300)
def test_from_the_wheel_in_an_empty_directory_local_and_cloud_are_certified(
    installed: tuple[Path, Path], tmp_path: Path
):
    python, site = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    where = _run(
        [
            str(python),
            "-c",
            "import floe_dbt_compliance, floe_dbt_cloud_emulator.kit_harness as h; "
            "print(floe_dbt_compliance.__file__); print(h.__file__)",
        ],
        empty,
    )
    for line in where.stdout.split():
        assert Path(line).is_relative_to(site), f"imported from outside the wheel: {line}"
    # Every installed runtime (no --floe-dbt-runtime), narrowed to one cheap row each.
    kit = _run(
        [
            str(python),
            "-m",
            "pytest",
            "--floe-dbt-compliance",
            "--floe-dbt-requirement=compile.manifest",
            # cloud under chaos too: the emulator's API document and fault plan ship in the wheel
            "--floe-dbt-requirement=cloud:remote.chaos",
            "--floe-dbt-chaos=7",
            "-p",
            "no:cacheprovider",
        ],
        empty,
    )
    assert kit.returncode == 0, kit.stdout[-4000:] + kit.stderr[-2000:]
    report = empty / ".floe" / "compliance"
    rows = {}
    for runtime in ("local", "cloud", "fusion"):
        # One row asked for: a partial certificate, written beside the complete one.
        document = json.loads((report / runtime / "certificate.partial.json").read_text())
        rows[runtime] = {row["key"]: row for row in document["requirements"]}
    for runtime in ("local", "cloud"):
        assert rows[runtime]["compile.manifest"]["status"] == "passed", rows[runtime]
    assert rows["cloud"]["remote.chaos"]["status"] == "passed", rows["cloud"]["remote.chaos"]
    cloud = json.loads((report / "cloud" / "certificate.partial.json").read_text())
    assert cloud["oracle"]["chaos"].startswith("seed 7: compile: "), cloud["oracle"]
    # The faults that fired, as the emulator logged them, on every call chaos made.
    injected = cloud["oracle"]["chaos_injected"]
    assert injected["seed"] == 7, injected
    assert {fault["call"] for fault in injected["faults"]} == {
        "compile",
        "run",
        "test",
        "seed",
        "build",
    }, injected
    fusion = rows["fusion"]["compile.manifest"]
    assert fusion["status"] == "not implemented"
    assert fusion["reason"].startswith("dbt Fusion Python bindings")


@pytest.mark.timeout(600)
def test_from_the_wheel_local_is_certified_on_a_copy_of_jaffle_shop_left_untouched(
    installed: tuple[Path, Path], tmp_path: Path
):
    python, _site = installed
    project = tmp_path / "mine" / "jaffle_shop"
    shutil.copytree(ROOT / "examples" / "jaffle_shop", project)
    before = snapshot(project)
    empty = tmp_path / "empty"
    empty.mkdir()
    rows = ("project.agrees", "project.lifecycle")
    kit = _run(
        [
            str(python),
            "-m",
            "pytest",
            "--floe-dbt-compliance",
            "--floe-dbt-runtime=local",
            f"--floe-dbt-project={project}",
            *(f"--floe-dbt-requirement={row}" for row in rows),
            "-p",
            "no:cacheprovider",
        ],
        empty,
    )
    assert kit.returncode == 0, kit.stdout[-4000:] + kit.stderr[-2000:]
    report = empty / ".floe" / "compliance" / "local"
    # Only the project's rows ran: a partial certificate, and no complete one written.
    assert not (report / "certificate.json").exists()
    document = json.loads((report / "certificate.partial.json").read_text())
    assert document["partial"]
    found = {row["key"]: row["status"] for row in document["requirements"]}
    assert {key: found[key] for key in rows} == dict.fromkeys(rows, "passed")
    assert document["oracle"]["projects"] == f"jaffle_shop ({project})"
    assert snapshot(project) == before
