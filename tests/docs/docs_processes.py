"""Running what the docs show in a process of its own, as a reader or a cluster would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without this pytest session's own ``PYTEST_*`` settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    env.update(overrides)
    return env


def run(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 280,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, capturing its output as text; never raises on failure."""
    return subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def python(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 280
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args``."""
    return run([sys.executable, *args], cwd=cwd, env=env, timeout=timeout)
