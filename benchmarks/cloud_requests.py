"""HTTP requests per run_models() and TCP connections per plugin instance (printed, not asserted).

Target: one connection reused for every request of an instance.

Run: ``.venv/bin/python benchmarks/cloud_requests.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cloud_setup import healthy_cloud

RUNS = 5
POLL_INTERVALS = (0.5, 2.0)


def main() -> None:
    with healthy_cloud() as bench:
        counters = bench.emulator.counters
        bench.plugin().run_models(*bench.run_args())  # warm-up: dbt import and first parse
        print(
            f"{'poll interval':>13}  {'runs':>4}  {'requests/run':>12}  "
            f"{'by route (per run)':<48}  {'TCP conns/instance':>18}"
        )
        for interval in POLL_INTERVALS:
            before = counters.snapshot()
            with bench.plugin(poll_interval_seconds=interval) as plugin:
                for _ in range(RUNS):
                    plugin.run_models(*bench.run_args())
            used = counters.snapshot() - before
            routes = ", ".join(
                f"{route} {count / RUNS:g}"
                for route, count in sorted(used.requests_by_route.items())
            )
            print(
                f"{interval:>12g}s  {RUNS:>4}  {used.requests_total / RUNS:>12.1f}  {routes:<48}  "
                f"{used.connections_accepted:>18}"
            )


if __name__ == "__main__":
    main()
