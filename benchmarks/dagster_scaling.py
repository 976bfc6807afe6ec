"""floe_dagster against dagster-dbt and bare dbt-core, side by side, on generated projects.

Printed, never asserted. For projects of ``--sizes`` models (each model with
a ``unique`` and a ``not_null`` test), each of ``--rounds`` rounds runs every
contender on its own copy of the project, in a rotating order, for two
scenarios: the full project, and a subset of two models (with their tests).

Contenders:

* ``floe``: ``floe_dagster`` definitions (``build_definitions`` from the
  prepared manifest) on the local runtime, ``execute_in_process``;
* ``dagster_dbt``: dagster-dbt's ``@dbt_assets`` + ``DbtCliResource``
  streaming ``dbt build`` (its documented way), ``execute_in_process``;
* ``dbt``: bare ``dbtRunner``: ``run`` then ``test`` (``--select`` the two
  models for the subset), no Dagster;
* ``dagster``: Dagster's own fixed cost: a multi-asset of the same shape
  (N assets, 2N checks) whose step yields a result per asset and check and
  runs nothing.

Each measurement is a fresh process (``worker``) that runs the scenario twice:
**cold** is from the launch of the process to the end of the first run
(interpreter, imports, loading the definitions, the run: what a Dagster run
worker pays), **warm** is the second run in the same process. Every copy was
built once beforehand, so the subset's upstream tables exist and dbt's
partial-parse file is there for every contender alike.

Run (dagster-dbt pins its own Dagster, so in a venv of its own)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e '.[bench-dagster]'
    .venv-bench/bin/python -m benchmarks.dagster_scaling [--sizes 5 50 500] [--rounds 3]
"""

# No `from __future__ import annotations`: Dagster resolves the decorated
# functions' annotations at definition time.
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

CONTENDERS = ("floe", "dagster_dbt", "dbt", "dagster")
SCENARIOS = ("full", "subset")


def generate_project(destination: Path, models: int) -> Path:
    """A DuckDB project of ``models`` models: 10 inline roots, then chains of views.

    Every 25th model is a table; every model has ``unique`` and ``not_null`` on ``id``.
    """
    project = destination / "generated"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: generated\nversion: '1.0.0'\nconfig-version: 2\nprofile: generated\n"
        "models:\n  generated:\n    +materialized: view\n"
    )
    (project / "profiles.yml").write_text(
        "generated:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {project / 'generated.duckdb'}\n      threads: 1\n"
    )
    schema = ["version: 2", "models:"]
    for index in range(models):
        name = f"m_{index:04d}"
        config = "{{ config(materialized='table') }}\n" if index % 25 == 24 else ""
        if index < 10:
            body = f"select range as id, range * {index} as v from range(1000)"
        else:
            body = f"select id, v + {index} as v from {{{{ ref('m_{index - 10:04d}') }}}}"
        (project / "models" / f"{name}.sql").write_text(config + body + "\n")
        schema += [f"  - name: {name}", "    columns:", "      - name: id"]
        schema += ["        data_tests: [unique, not_null]"]
    (project / "models" / "schema.yml").write_text("\n".join(schema) + "\n")
    return project


def subset_models(models: int) -> list[str]:
    """The two models of the subset: the last two, whose parents the preparation built."""
    return [f"m_{index:04d}" for index in (models - 2, models - 1)]


def _dbt(project: Path, *args: str) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [*args, "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    )
    if not result.success:
        raise SystemExit(f"dbt {args[0]} failed on {project}: {result.exception}")


# -- the worker: one fresh process, the scenario twice ------------------------


def _floe(project: Path, scenario: str, models: int) -> Callable[[], None]:
    from floe_dagster import DagsterOrchestratorPlugin
    from floe_dbt_local import LocalDBTPlugin

    runtime = LocalDBTPlugin()
    defs = DagsterOrchestratorPlugin(project).build_definitions(runtime)
    job = defs.resolve_implicit_global_asset_job_def()
    # Keys are [database, schema, table]; the database is the DuckDB file's stem.
    keys = _keys(scenario, models, lambda name: ["generated", "main", name])
    return lambda: _execute(job, keys)


def _dagster_dbt(project: Path, scenario: str, models: int) -> Callable[[], None]:
    from dagster import AssetExecutionContext, Definitions
    from dagster_dbt import DbtCliResource, dbt_assets

    @dbt_assets(manifest=project / "target" / "manifest.json")
    def generated(context: AssetExecutionContext, dbt: DbtCliResource) -> Any:
        yield from dbt.cli(["build"], context=context).stream()

    resource = DbtCliResource(
        project_dir=str(project),
        profiles_dir=str(project),
        dbt_executable=str(Path(sys.executable).with_name("dbt")),
    )
    defs = Definitions(assets=[generated], resources={"dbt": resource})
    job = defs.resolve_implicit_global_asset_job_def()
    keys = _keys(scenario, models, lambda name: [name])
    return lambda: _execute(job, keys)


def _bare_dbt(project: Path, scenario: str, models: int) -> Callable[[], None]:
    select = ["--select", *subset_models(models)] if scenario == "subset" else []

    def run() -> None:
        _dbt(project, "run", *select)
        _dbt(project, "test", *select)

    return run


def _dagster_fixed(project: Path, scenario: str, models: int) -> Callable[[], None]:
    from dagster import (
        AssetCheckResult,
        AssetCheckSpec,
        AssetExecutionContext,
        AssetSpec,
        Definitions,
        MaterializeResult,
        multi_asset,
    )

    names = [f"m_{index:04d}" for index in range(models)]
    specs = [
        AssetSpec(name, deps=[names[index - 10]] if index >= 10 else [])
        for index, name in enumerate(names)
    ]
    checks = [AssetCheckSpec(f"{test}_{name}", asset=name) for name in names for test in ("u", "n")]

    @multi_asset(specs=specs, check_specs=checks, can_subset=True, name="nothing")
    def nothing(context: AssetExecutionContext) -> Any:
        for key in sorted(context.selected_asset_keys, key=lambda k: k.path[-1]):
            yield MaterializeResult(asset_key=key)
        for check in context.selected_asset_check_keys:
            yield AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)

    job = Definitions(assets=[nothing]).resolve_implicit_global_asset_job_def()
    return lambda: _execute(job, _keys(scenario, models, lambda name: [name]))


def _keys(scenario: str, models: int, key: Callable[[str], list[str]]) -> list[list[str]] | None:
    return [key(name) for name in subset_models(models)] if scenario == "subset" else None


def _execute(job: Any, keys: list[list[str]] | None) -> None:
    from dagster import AssetKey

    selection = [AssetKey(path) for path in keys] if keys is not None else None
    result = job.execute_in_process(asset_selection=selection, raise_on_error=False)
    if not result.success:
        raise SystemExit(f"{job.name} failed")


BUILDERS = {"floe": _floe, "dagster_dbt": _dagster_dbt, "dbt": _bare_dbt, "dagster": _dagster_fixed}


def worker(contender: str, project: Path, scenario: str, models: int, launched: float) -> None:
    """Run one scenario twice in this fresh process; print cold and warm seconds as JSON."""
    import logging

    logging.disable(logging.WARNING)  # the same (no) console logging for every contender
    run = BUILDERS[contender](project, scenario, models)
    run()
    cold = time.time() - launched
    started = time.perf_counter()
    run()
    print(json.dumps({"cold": cold, "warm": time.perf_counter() - started}))


# -- the parent: prepare, interleave, print --------------------------------------


def measure(contender: str, project: Path, scenario: str, models: int) -> dict[str, float]:
    args = [sys.executable, "-m", "benchmarks.dagster_scaling", "worker", contender]
    args += [str(project), scenario, str(models), repr(time.time())]
    completed = subprocess.run(
        args, capture_output=True, text=True, check=False, cwd=Path(__file__).parents[1]
    )
    if completed.returncode != 0:
        raise SystemExit(f"{contender} {scenario} failed:\n{completed.stderr[-3000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def bench(size: int, rounds: int, work: Path) -> dict[tuple[str, str, str], float]:
    source = generate_project(work / f"source-{size}", size)
    copies = {}
    for contender in CONTENDERS:
        copies[contender] = Path(shutil.copytree(source, work / f"{size}-{contender}"))
        profiles = copies[contender] / "profiles.yml"
        profiles.write_text(
            profiles.read_text().replace(str(source), str(copies[contender])), encoding="utf-8"
        )
        _dbt(copies[contender], "build")  # tables, manifest.json and partial parse for all
    samples: dict[tuple[str, str, str], list[float]] = {}
    for number in range(rounds):
        order = CONTENDERS[number % 4 :] + CONTENDERS[: number % 4]
        for scenario in SCENARIOS:
            for contender in order:
                timing = measure(contender, copies[contender], scenario, size)
                for temperature, seconds in timing.items():
                    samples.setdefault((scenario, temperature, contender), []).append(seconds)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"  {size} models: round {number + 1}/{rounds} done (load {load})", flush=True)
    return {key: statistics.median(values) for key, values in samples.items()}


def report(size: int, medians: dict[tuple[str, str, str], float]) -> None:
    print(f"\n{size} models ({2 * size} tests), medians in seconds")
    print(
        "| scenario | run | floe | dagster-dbt | bare dbt | Dagster fixed | "
        "floe / dagster-dbt | floe / (dbt + Dagster) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        for temperature in ("cold", "warm"):
            floe, ddbt, dbt, fixed = (
                medians[(scenario, temperature, contender)] for contender in CONTENDERS
            )
            print(
                f"| {scenario} | {temperature} | {floe:.2f} | {ddbt:.2f} | {dbt:.2f} | "
                f"{fixed:.2f} | {floe / ddbt:.2f} | {floe / (dbt + fixed):.2f} |"
            )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        contender, project, scenario, models, launched = sys.argv[2:7]
        worker(contender, Path(project), scenario, int(models), float(launched))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50, 500])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    from importlib.metadata import version

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        + ", ".join(
            f"{name} {version(name)}"
            for name in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb")
        )
    )
    with tempfile.TemporaryDirectory(prefix="floe-bench-dagster-") as directory:
        for size in options.sizes:
            report(size, bench(size, options.rounds, Path(directory)))


if __name__ == "__main__":
    main()
