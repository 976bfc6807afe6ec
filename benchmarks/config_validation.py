"""``floe validate`` on hostile manifests vs a bare YAML load of the same file.

Each manifest holds N unknown keys in the cloud section (every one a problem
to locate and explain). The figure that matters is the cost per key: flat
means linear, as issue 10 (row 6) asks; the ratio to ``yaml.load`` with
libyaml's loader says what floe adds on top of parsing. An alias bomb and a
file over the size limit are answered in the time it takes to refuse them.
Printed, not asserted.

Run: ``.venv/bin/python benchmarks/config_validation.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from floe_core.cli import check_manifest
from floe_core.plugin_registry import PluginRegistry

HEAD = (
    "plugins:\n  dbt_runtime: cloud\n  dbt_runtime_config:\n    cloud:\n"
    '      account_id: "1"\n      api_token_ref: dbt-cloud-api-token\n'
    "      job_ids: {compile: 1, run: 2, test: 3}\n"
)
SIZES = (1_000, 5_000, 15_000)
REPEATS = 3


def best_of(function: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def alias_bomb() -> str:
    text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in range(1, 9):
        text += f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]\n"
    return text + "plugins:\n  dbt_runtime: *a8\n"


def main() -> None:
    registry = PluginRegistry()
    registry.load_class("dbt", "cloud")  # import once, outside the timings
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "manifest.yaml"
        print(
            f"{'unknown keys':>12} {'bytes':>8} {'validate s':>11} {'yaml s':>8} "
            f"{'ratio':>6} {'us/key':>7}"
        )
        for count in SIZES:
            path.write_text(HEAD + "".join(f"      k{i}: 0\n" for i in range(count)))
            problems = check_manifest(path, registry)
            assert len(problems) == count
            validate = best_of(lambda: check_manifest(path, registry))
            bare = best_of(lambda: yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
            print(
                f"{count:>12} {path.stat().st_size:>8} {validate:>11.3f} {bare:>8.3f} "
                f"{validate / bare:>6.1f} {validate / count * 1e6:>7.0f}"
            )
        for name, text in (
            ("alias bomb (1 KB)", alias_bomb()),
            (
                "200,000 keys (over 256 KiB)",
                HEAD + "".join(f"      k{i}: 0\n" for i in range(200_000)),
            ),
        ):
            path.write_text(text)
            seconds = statistics.median(
                best_of(lambda: check_manifest(path, registry)) for _ in range(3)
            )
            print(
                f"{name}: refused in {seconds * 1000:.1f} ms: {check_manifest(path, registry)[0]}"
            )


if __name__ == "__main__":
    main()
