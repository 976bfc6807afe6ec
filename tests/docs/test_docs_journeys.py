"""Each guide's steps, followed literally: install from the wheel, validate, run, Dagster.

A guide's shell blocks tagged ``<!-- journey: NAME [examples/DIR ...] -->``
are one journey, run in order by bash (``-e``: a failing step fails it) in
a new directory outside the repository that holds what the guide assumes:
``dist/`` with the floe-dbt wheel built from this checkout, and a copy of
each example directory named in the marker. ``PATH`` starts with a fresh
virtual environment's ``bin``, so ``pip``, ``floe`` and ``dagster`` are the
venv's: the guide's own ``pip install --find-links dist 'floe-dbt[...]'``
installs floe-dbt from the wheel. pip is told (``PIP_NO_DEPS``,
``PIP_NO_INDEX``, ``PIP_IGNORE_INSTALLED``) to take nothing from an index: the venv borrows this
environment's third-party packages through a ``.pth`` line (installing
dbt-core and Dagster would take minutes), floe-dbt itself comes only from
the wheel, which the journeys check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from docs_processes import clean_env, run
from markdown_blocks import ROOT, CodeBlock, all_blocks

pytestmark = [pytest.mark.integration]

JOURNEYS: dict[str, list[CodeBlock]] = {}
for _block in all_blocks():
    _value = _block.marker_value("journey")
    if _value is not None:
        JOURNEYS.setdefault(_value, []).append(_block)
# What each journey must have shown, beyond every step exiting 0.
EXPECTED = {
    "local": [
        "manifest.yaml: valid (dbt runtime: local)",
        "dbt seed (local) succeeded: 0 model(s) run, 0 test(s) run, 0 failure(s), 3 seed(s)",
        "dbt run (local) succeeded: 5 model(s) run",
        "dbt test (local) succeeded: 0 model(s) run, 7 test(s) run, 0 failure(s)",
        "1 of 5 START sql view model main.stg_customers",
    ],
    "dagster": ["manifest.json", "All code locations passed validation", "RUN_SUCCESS"],
}
SHIMS = {"pip": "pip", "dagster": "dagster"}


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with no floe-dbt, borrowing this one's third-party packages."""
    venv = tmp_path_factory.mktemp("journey-venv") / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        cwd=venv.parent,
    ).stdout.strip()
    (Path(site) / "zz_borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # The venv's own `pip` and `dagster`, run by its interpreter (the modules are borrowed).
    for command, module in SHIMS.items():
        shim = venv / "bin" / command
        shim.write_text(f'#!/bin/sh\nexec "{python}" -m {module} "$@"\n')
        shim.chmod(0o755)
    return venv


@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", sorted(JOURNEYS), ids=sorted(JOURNEYS))
def test_the_guides_journey_runs_as_written(
    name: str, floe_wheel: Path, fresh_venv: Path, tmp_path: Path
) -> None:
    journey, *examples = name.split()
    (tmp_path / "dist").mkdir()
    shutil.copy(floe_wheel, tmp_path / "dist")
    for example in examples:
        shutil.copytree(
            ROOT / example,
            tmp_path / Path(example).name,
            ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*", ".user.yml"),
        )
    env = clean_env(
        PATH=f"{fresh_venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        VIRTUAL_ENV=str(fresh_venv),
        PIP_NO_DEPS="1",
        PIP_NO_INDEX="1",
        # The borrowed packages include this checkout's editable floe-dbt: not "installed" here.
        PIP_IGNORE_INSTALLED="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DAGSTER_HOME=str(tmp_path / "dagster-home"),
    )
    env.pop("PYTHONPATH", None)
    env.pop("NO_COLOR", None)
    (tmp_path / "dagster-home").mkdir()
    script = "\n".join(block.code for block in JOURNEYS[name])
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=380,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{[b.id for b in JOURNEYS[name]]}:\n{output[-6000:]}"
    for expected in EXPECTED[journey]:
        assert expected in output, f"{expected!r} not in:\n{output[-6000:]}"
    # floe-dbt came from the wheel, into the fresh venv (not this checkout's editable install).
    where = run(
        [str(fresh_venv / "bin" / "python"), "-c", "import floe_core; print(floe_core.__file__)"],
        cwd=tmp_path,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(fresh_venv), where
    assert (fresh_venv / "bin" / "floe").read_text().startswith(f"#!{fresh_venv}/bin/python")


def test_every_journey_is_checked() -> None:
    assert {name.split()[0] for name in JOURNEYS} == set(EXPECTED)
