"""Broken fail-fast and state capabilities: each keeps every promise but one."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from . import AcmeRuntime


class IgnoresFailFast(AcmeRuntime):
    """Declares fail-fast, binds nothing: dbt runs on after the first failure."""

    def with_fail_fast(self, fail_fast: bool = True) -> AcmeRuntime:
        return copy.copy(self)


class FailFastOnlyOnContract(AcmeRuntime):
    """Passes --fail-fast to run and test, but not to build."""

    def _run_flags(self, command: str) -> list[str]:
        flags = super()._run_flags(command)
        return [flag for flag in flags if flag != "--fail-fast"] if command == "build" else flags


class FailFastMutates(AcmeRuntime):
    """Binds --fail-fast on the runtime it was asked about too: every later call stops early."""

    def with_fail_fast(self, fail_fast: bool = True) -> AcmeRuntime:
        self._fail_fast = fail_fast
        return copy.copy(self)


class IgnoresState(AcmeRuntime):
    """Declares state, binds nothing: dbt has no manifest to compare state: with."""

    def with_state(self, state: Path, *, defer: bool = False) -> AcmeRuntime:
        return copy.copy(self)


class IgnoresDefer(AcmeRuntime):
    """Passes --state but drops --defer: unbuilt parents are looked for in the target."""

    def with_state(self, state: Path, *, defer: bool = False) -> AcmeRuntime:
        return super().with_state(state, defer=False)


class StateMutates(AcmeRuntime):
    """Binds --state and --defer on the runtime it was asked about too."""

    def with_state(self, state: Path, *, defer: bool = False) -> AcmeRuntime:
        self._state, self._defer = Path(state).absolute(), defer
        return copy.copy(self)


class StateFromTarget(AcmeRuntime):
    """Compares with its own latest manifest (target/), not the state it was given."""

    def _arguments(
        self,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        options: dict[str, Any],
    ) -> list[str]:
        arguments = super()._arguments(command, project_dir, profiles_dir, target, options)
        if "--state" in arguments:
            arguments[arguments.index("--state") + 1] = str(project_dir / "target")
        return arguments
