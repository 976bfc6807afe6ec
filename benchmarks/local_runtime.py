"""LocalDBTPlugin against bare dbtRunner and the dbt command line, side by side in one process.

Printed, never asserted. For each project (the ``healthy`` fixture and a
generated project of ``--models`` models) and each of ``--rounds`` rounds,
every mode runs ``dbt run`` once, in a rotating order, each on its own copy
of the project:

* ``plugin``: ``LocalDBTPlugin.run_models`` (one instance, manifest reuse on);
* ``plugin-parse``: the same with ``reuse_manifest=False`` (parses every call);
* ``bare``: ``dbtRunner().invoke(["run", ...])``, what an in-process
  integration without the runtime does;
* ``cli``: ``dbt run`` in a subprocess, what subprocess-based orchestrators do.

The medians and their ratios to ``bare`` are printed. Then a fresh process
runs ``--loop`` invocations of ``run_models`` on ``healthy`` and reports its
resident memory along the way (peak and growth).

Run: ``.venv/bin/python -m benchmarks.local_runtime [--rounds 5] [--models 500]``.
Anonymous usage tracking is switched off for every mode (no network here, and
it would add the same noise to all of them).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

from floe_dbt_compliance.projects import ProjectCopy, copy_project

from floe_dbt_local import EVENT_LOGGER_NAME, LocalDBTPlugin

MODES = ("plugin", "plugin-parse", "bare", "cli")
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def generate_project(destination: Path, models: int) -> ProjectCopy:
    """Write a DuckDB project of ``models`` models: 10 inline roots, then chains of views.

    Every 25th model is a table, so DuckDB does some real work.
    """
    project = destination / "generated"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: generated\nversion: '1.0.0'\nconfig-version: 2\nprofile: generated\n"
        "models:\n  generated:\n    +materialized: view\n"
    )
    database = project / "generated.duckdb"
    (project / "profiles.yml").write_text(
        "generated:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {database}\n      threads: 1\n"
    )
    for index in range(models):
        config = "{{ config(materialized='table') }}\n" if index % 25 == 24 else ""
        if index < 10:
            body = f"select range as id, range * {index} as v from range(1000)"
        else:
            body = f"select id, v + {index} as v from {{{{ ref('m_{index - 10:04d}') }}}}"
        (project / "models" / f"m_{index:04d}.sql").write_text(config + body + "\n")
    return ProjectCopy("generated", project, project)


def clone(copy: ProjectCopy, destination: Path) -> ProjectCopy:
    """A private copy for one mode (its own DuckDB file and target directory)."""
    if copy.name != "generated":
        return copy_project(copy.name, destination)
    target = destination / copy.name
    shutil.copytree(copy.project_dir, target)
    profiles = target / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(str(copy.project_dir), str(target.resolve())))
    return ProjectCopy(copy.name, target.resolve(), target.resolve())


def runners(copies: dict[str, ProjectCopy]) -> dict[str, Callable[[], bool]]:
    """One zero-argument callable per mode, returning dbt's success."""
    from dbt.cli.main import dbtRunner

    reusing, parsing = LocalDBTPlugin(), LocalDBTPlugin(reuse_manifest=False)

    def where(mode: str) -> list[str]:
        copy = copies[mode]
        return [
            "--project-dir",
            str(copy.project_dir),
            "--profiles-dir",
            str(copy.profiles_dir),
            "--target",
            copy.target,
        ]

    def plugin(runtime: LocalDBTPlugin, mode: str) -> Callable[[], bool]:
        copy = copies[mode]
        return lambda: runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target).success

    def bare() -> bool:
        # dbt's default console output is part of what a bare invocation costs;
        # it goes to /dev/null rather than to this report.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            return bool(dbtRunner().invoke(["run", *where("bare")]).success)

    def cli() -> bool:
        completed = subprocess.run(
            [str(DBT_EXECUTABLE), "run", *where("cli")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return completed.returncode == 0

    return {
        "plugin": plugin(reusing, "plugin"),
        "plugin-parse": plugin(parsing, "plugin-parse"),
        "bare": bare,
        "cli": cli,
    }


def compare(label: str, source: ProjectCopy, rounds: int, scratch: Path) -> dict[str, object]:
    copies = {mode: clone(source, scratch / label / mode) for mode in MODES}
    calls = runners(copies)
    for mode in MODES:  # warm-up: imports, first full parse, first table builds
        if not calls[mode]():
            raise SystemExit(f"{label}: warm-up of {mode} failed")
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_index in range(rounds):
        order = MODES[round_index % len(MODES) :] + MODES[: round_index % len(MODES)]
        for mode in order:
            started = time.perf_counter()
            ok = calls[mode]()
            seconds[mode].append(time.perf_counter() - started)
            if not ok:
                raise SystemExit(f"{label}: {mode} failed in round {round_index + 1}")
    medians = {mode: statistics.median(values) for mode, values in seconds.items()}
    print(f"\n{label}: median of {rounds} rounds (seconds; ratio to bare dbtRunner)")
    for mode in MODES:
        ratio = medians[mode] / medians["bare"]
        spread = f"{min(seconds[mode]):.3f}-{max(seconds[mode]):.3f}"
        print(f"  {mode:<13} {medians[mode]:8.3f}  x{ratio:5.2f}   (range {spread})")
    return {"rounds": rounds, "seconds": seconds, "medians": medians}


def rss_loop(count: int) -> None:
    """Call ``run_models`` ``count`` times on ``healthy`` here; print RSS along the way."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = copy_project("healthy", Path(scratch))
        runtime = LocalDBTPlugin()
        samples: dict[int, float] = {}
        for index in range(1, count + 1):
            result = runtime.run_models(copy.project_dir, copy.profiles_dir, copy.target)
            if not result.success:
                raise SystemExit(f"invocation {index} failed")
            if index in {1, 10, count // 2, count}:
                samples[index] = _current_rss_mb()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"samples_mb": samples, "peak_mb": peak}))


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_rss(count: int) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.local_runtime", "--rss-loop", str(count)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    samples = {int(k): v for k, v in report["samples_mb"].items()}  # type: ignore[attr-defined]
    print(f"\nRSS over {count} run_models calls on healthy (fresh process):")
    for index, megabytes in sorted(samples.items()):
        print(f"  after call {index:>4}: {megabytes:7.1f} MB")
    first = min(10, count)
    growth = samples[count] - samples[first]
    print(
        f"  peak {report['peak_mb']:.1f} MB; growth from call {first} to {count}: {growth:+.1f} MB"
    )
    return report


def _quiet_events() -> None:
    # The records are still built and handled (that is part of the runtime's
    # cost), but dbt's warnings do not clutter the report.
    events = logging.getLogger(EVENT_LOGGER_NAME)
    events.addHandler(logging.NullHandler())
    events.propagate = False


def main() -> None:
    _quiet_events()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument(
        "--loop", type=int, default=100, help="invocations in the RSS loop (0 skips it)"
    )
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--rss-loop", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.rss_loop:
        rss_loop(options.rss_loop)
        return
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        healthy = copy_project("healthy", scratch / "source")
        figures["healthy"] = compare("healthy", healthy, options.rounds, scratch)
        if not options.skip_generated:
            generated = generate_project(scratch / "source", options.models)
            label = f"generated-{options.models}"
            figures[label] = compare(label, generated, options.rounds, scratch)
    if options.loop > 0:
        figures["rss"] = measure_rss(options.loop)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
