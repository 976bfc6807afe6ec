"""The certifying guide is executed: its example package, built, installed and certified.

The blocks of ``docs/guides/certifying-a-runtime.md`` tagged
``<!-- example-package -->`` are the files of ``acme-dbt`` under their
titles. Each test writes them into a fresh directory outside the repository,
builds a wheel from them, installs it with pip (``--no-deps --target``: its
dependency, floe-dbt, is this environment's), and runs the kit from another
empty directory, as a vendor would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .outside import ROOT, clean_env, parse_blocks, run

GUIDE = ROOT / "docs" / "guides" / "certifying-a-runtime.md"
# Narrows a broken variant's run to the row it must fail on (the others are "not run").

BLOCKS = parse_blocks(GUIDE)
PACKAGE = {block.title: block.code for block in BLOCKS if block.marker == "example-package"}
BREAKS = [block for block in BLOCKS if block.marker_value("example-break") is not None]
RUNTIME_FILE = "src/acme_dbt/__init__.py"
SIGNATURE = re.compile(r"^    def run_models\(.*?\) -> DBTRunResult:\n", re.S | re.M)


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run(args, cwd=cwd, env=clean_env(**env))


def install_example(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write the package, build its wheel, ``pip install`` it; return the install directory."""
    source = tmp_path / "acme-dbt"
    for title, code in files.items():
        (source / title).parent.mkdir(parents=True, exist_ok=True)
        (source / title).write_text(code, encoding="utf-8")
    built = _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist"], source
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (source / "dist").glob("acme_dbt-0.1.0-*.whl")
    site = tmp_path / "site"
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return site


def certify(
    tmp_path: Path, site: Path, reference_cache: Path, *args: str
) -> tuple[Any, dict[str, Any]]:
    work = tmp_path / "certify"
    work.mkdir()
    completed = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--floe-dbt-compliance",
            "--floe-dbt-runtime",
            "acme",
            "-p",
            "no:cacheprovider",
            # plain dbt-core's outcomes, shared with the other kit tests of this session
            f"--floe-dbt-reference-cache={reference_cache}",
            *args,
        ],
        work,
        PYTHONPATH=str(site),
    )
    directory = work / ".floe" / "compliance" / "acme"
    # A row asked for (--floe-dbt-requirement) makes a partial session, written beside.
    partial = any(arg.startswith("--floe-dbt-requirement") for arg in args)
    path = directory / ("certificate.partial.json" if partial else "certificate.json")
    assert path.is_file(), completed.stdout[-4000:] + completed.stderr[-4000:]
    return completed, json.loads(path.read_text(encoding="utf-8"))


def test_the_guide_shows_a_whole_package():
    assert set(PACKAGE) == {"pyproject.toml", RUNTIME_FILE, "src/acme_dbt/kit_harness.py"}
    assert 'acme = "acme_dbt:AcmeDBTPlugin"' in PACKAGE["pyproject.toml"]
    assert 'acme_dbt = "acme_dbt.kit_harness"' in PACKAGE["pyproject.toml"]
    assert "raise_for_dbt_result(" in PACKAGE[RUNTIME_FILE]
    assert len(SIGNATURE.findall(PACKAGE[RUNTIME_FILE])) == 1
    assert BREAKS, "the guide's 'what the kit refuses' section shows no break"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_guides_example_runtime_is_certified(tmp_path: Path, reference_cache: Path):
    site = install_example(tmp_path, PACKAGE)
    completed, document = certify(tmp_path, site, reference_cache)
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert document["verdict"] == "certified", completed.stdout[-4000:]
    assert document["runtime"]["class"] == "acme_dbt:AcmeDBTPlugin"
    assert document["runtime"]["metadata"]["workspace"] == "ci"
    statuses = {row["key"]: row["status"] for row in document["requirements"]}
    assert statuses["interface.signatures"] == statuses["concurrency.serialised"] == "passed"
    assert set(statuses.values()) == {"passed", "n/a"}


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.parametrize("broken", BREAKS, ids=[block.marker for block in BREAKS])
def test_the_guides_broken_runtime_is_refused_on_its_row(
    tmp_path: Path, broken: Any, reference_cache: Path
):
    row = broken.marker_value("example-break")
    runtime = PACKAGE[RUNTIME_FILE]
    files = {**PACKAGE, RUNTIME_FILE: SIGNATURE.sub(lambda _: broken.code, runtime, count=1)}
    assert files[RUNTIME_FILE] != runtime
    site = install_example(tmp_path, files)
    completed, document = certify(tmp_path, site, reference_cache, f"--floe-dbt-requirement={row}")
    assert completed.returncode == pytest.ExitCode.TESTS_FAILED, completed.stdout[-4000:]
    assert document["verdict"] == "not certified"
    found = {item["key"]: item for item in document["requirements"]}
    assert found[row]["status"] == "failed"
    assert "run_models" in found[row]["reason"]
    failed = {key for key, item in found.items() if item["status"] == "failed"}
    assert failed == {row}
