"""What the emulator has seen: requests per route, TCP connections, runs and cancels.

Tests, the compliance kit and the benchmarks read these to assert that a
runtime reuses one connection, polls sparingly and cancels what it abandons.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["CounterSnapshot", "Counters"]


@dataclass(frozen=True)
class CounterSnapshot:
    """The counters at one moment (subtract two to measure one operation)."""

    requests_total: int = 0
    requests_by_route: dict[str, int] = field(default_factory=dict)
    connections_accepted: int = 0
    runs_triggered: int = 0
    cancels_received: int = 0

    def __sub__(self, earlier: CounterSnapshot) -> CounterSnapshot:
        routes = Counter(self.requests_by_route)
        routes.subtract(earlier.requests_by_route)
        return CounterSnapshot(
            requests_total=self.requests_total - earlier.requests_total,
            requests_by_route={route: n for route, n in routes.items() if n},
            connections_accepted=self.connections_accepted - earlier.connections_accepted,
            runs_triggered=self.runs_triggered - earlier.runs_triggered,
            cancels_received=self.cancels_received - earlier.cancels_received,
        )


class Counters:
    """Thread-safe counters; the server thread writes, test threads read.

    Route names: ``trigger_run``, ``list_runs``, ``get_run``, ``cancel_run``,
    ``list_artifacts``, ``get_artifact``, ``get_job_artifact`` and ``discovery``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: Counter[str] = Counter()
        self._connections = 0
        self._runs = 0
        self._cancels = 0

    def record_request(self, route: str) -> None:
        """Count one request to ``route``."""
        with self._lock:
            self._routes[route] += 1

    def record_connection(self) -> None:
        """Count one accepted TCP connection."""
        with self._lock:
            self._connections += 1

    def record_run(self) -> None:
        """Count one triggered run."""
        with self._lock:
            self._runs += 1

    def record_cancel(self) -> None:
        """Count one cancel request."""
        with self._lock:
            self._cancels += 1

    @property
    def requests_total(self) -> int:
        """Every request received, whatever its route or answer."""
        with self._lock:
            return sum(self._routes.values())

    @property
    def requests_by_route(self) -> dict[str, int]:
        """Requests per route name."""
        with self._lock:
            return dict(self._routes)

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted (only counted when served by :func:`serve_emulator`)."""
        with self._lock:
            return self._connections

    @property
    def runs_triggered(self) -> int:
        """Runs created by ``POST jobs/{id}/run/``."""
        with self._lock:
            return self._runs

    @property
    def cancels_received(self) -> int:
        """``POST runs/{id}/cancel/`` requests."""
        with self._lock:
            return self._cancels

    def snapshot(self) -> CounterSnapshot:
        """Copy every counter at once."""
        with self._lock:
            return CounterSnapshot(
                requests_total=sum(self._routes.values()),
                requests_by_route=dict(self._routes),
                connections_accepted=self._connections,
                runs_triggered=self._runs,
                cancels_received=self._cancels,
            )
