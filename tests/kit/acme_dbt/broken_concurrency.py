"""Variants that break serialisation (REQ-093)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from . import AcmeRuntime


class NoLock(AcmeRuntime):
    def _guard(self, command: str) -> Any:
        return contextlib.nullcontext()


class PerInstanceLock(AcmeRuntime):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own = threading.Lock()

    def _guard(self, command: str) -> Any:
        return self._own


class CannotSayParallel(AcmeRuntime):
    def supports_parallel_execution(self) -> bool:
        raise RuntimeError("it depends")


class UnlockedCompile(AcmeRuntime):
    def _guard(self, command: str) -> Any:
        return contextlib.nullcontext() if command == "compile" else super()._guard(command)


class UnlockedTest(AcmeRuntime):
    def _guard(self, command: str) -> Any:
        return contextlib.nullcontext() if command == "test" else super()._guard(command)


class UnlockedBuild(AcmeRuntime):
    def _guard(self, command: str) -> Any:
        return contextlib.nullcontext() if command == "build" else super()._guard(command)


class ClaimsParallel(AcmeRuntime):
    """Says invocations are isolated, and takes no lock: in-process dbt is not isolated."""

    def supports_parallel_execution(self) -> bool:
        return True

    def _guard(self, command: str) -> Any:
        return contextlib.nullcontext()
