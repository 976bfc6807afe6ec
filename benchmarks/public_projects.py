"""Public dbt projects through every path, side by side with plain dbt-core (printed, not asserted).

The projects, their archives and the paths are those of ``tests/public_projects``
(``projects.toml``, ``public_paths.py``): each path runs on its own fresh copy,
and this prints, per project, what plain ``dbt seed && dbt build`` did (nodes,
tests, relations) and, per path, its wall time, its ratio to plain dbt's and
whether it agreed node for node and relation for relation. ``--rounds`` repeats
every path in a rotating order and reports the median.

Run::

    .venv/bin/python -m benchmarks.public_projects [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "public_projects"))

from public_archives import PublicProject, load_manifest, unpacked
from public_paths import Outcome, run_path

PATHS = ("plain", "local", "cloud", "dagster")


def _agrees(path: str, outcome: Outcome, oracle: Outcome) -> bool:
    nodes = outcome.nodes["build"] == oracle.nodes["build"]
    if path != "dagster":
        nodes = nodes and outcome.nodes == oracle.nodes
    return nodes and outcome.relations == oracle.relations and outcome.tests == oracle.tests


def _measure(project: PublicProject, rounds: int) -> None:
    tree = unpacked(project)
    seconds: dict[str, list[float]] = {path: [] for path in PATHS}
    outcomes: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="floe-bench-public-") as scratch:
        for round_ in range(rounds):
            order = PATHS[round_ % len(PATHS) :] + PATHS[: round_ % len(PATHS)]
            for path in order:
                outcome = run_path(path, project, tree, Path(scratch) / f"{path}-{round_}")
                seconds[path].append(outcome.seconds)
                outcomes.setdefault(path, outcome)
    oracle = outcomes["plain"]
    kinds = Counter(uid.split(".")[0] for uid in oracle.nodes["build"])
    print(f"\n{project.id} ({project.archive.distribution} {project.archive.version})")
    print(
        f"  plain dbt: seed {len(oracle.nodes['seed'])} nodes; build "
        + ", ".join(f"{count} {kind}s" for kind, count in sorted(kinds.items()))
        + f"; {len(oracle.tests)} tests run; {len(oracle.relations)} relations"
    )
    plain = statistics.median(seconds["plain"])
    print("  | path | nodes | relations | tests | median s | vs plain | agrees |")
    print("  |---|---|---|---|---|---|---|")
    for path in PATHS:
        outcome = outcomes[path]
        median = statistics.median(seconds[path])
        nodes = sum(len(step) for step in outcome.nodes.values())
        print(
            f"  | {path} | {nodes} | {len(outcome.relations)} | {len(outcome.tests)} "
            f"| {median:.2f} | {median / plain:.2f} | {_agrees(path, outcome, oracle)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for project in load_manifest():
        _measure(project, args.rounds)


if __name__ == "__main__":
    main()
