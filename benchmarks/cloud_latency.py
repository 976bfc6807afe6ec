"""From the emulator marking a run finished to run_models() returning, against the poll interval.

Target: at most one poll interval + 50 ms. Printed, not asserted.

Run: ``.venv/bin/python benchmarks/cloud_latency.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cloud_setup import healthy_cloud

RUNS = 5
POLL_INTERVALS = (0.25, 0.5, 1.0, 2.0)


def main() -> None:
    with healthy_cloud() as bench:
        bench.plugin().run_models(*bench.run_args())  # warm-up
        print(
            f"{'poll interval':>13}  {'median':>8}  {'max':>8}  {'max - interval':>14}  "
            "target <= interval + 50 ms"
        )
        for interval in POLL_INTERVALS:
            lags = []
            with bench.plugin(poll_interval_seconds=interval) as plugin:
                for _ in range(RUNS):
                    result = plugin.run_models(*bench.run_args())
                    returned = time.monotonic()
                    finished = bench.emulator.get_run(result.metadata["run_id"]).finished_monotonic
                    assert finished is not None
                    lags.append(returned - finished)
            worst = max(lags)
            verdict = "met" if worst <= interval + 0.05 else "MISSED"
            print(
                f"{interval:>12g}s  {statistics.median(lags) * 1000:>6.0f}ms  "
                f"{worst * 1000:>6.0f}ms  "
                f"{(worst - interval) * 1000:>12.0f}ms  {verdict}"
            )


if __name__ == "__main__":
    main()
