"""Shared by every test package: reading a DuckDB file the way a user would, test order,
and dbt-core left untraced under coverage.

Tests marked ``slow`` (whole kit sessions, minutes each) are collected first:
under ``-n 2`` the workers then take the long ones while the short ones fill
the gaps, instead of one worker finishing a long test alone at the end.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

Query = Callable[[Path, str], list[tuple[Any, ...]]]


@pytest.fixture
def query() -> Query:
    """Read a DuckDB file, read-only: the runtimes release it after every invocation."""

    def run(database: Path, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first (the ``slow`` ones), otherwise in the order collected."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _dbt_core_untraced() -> Iterator[None]:
    """Under coverage, run dbt-core's own code without the line tracer.

    Coverage measures floe's packages only, but on Python 3.11 its tracer is
    called for every function dbt-core runs, and dbt's full parses (thousands
    of Jinja macros) then take twice as long: measured on one kit session,
    25 s without coverage, 46 s with it. dbt still runs for real and every
    result is the same; only the calling thread's tracer is suspended for the
    length of ``dbtRunner.invoke`` (floe code that dbt calls back, the local
    runtime's event router, goes unmeasured there). Other threads keep theirs.
    """
    if sys.gettrace() is None:  # no coverage (or a debugger would be lost): leave dbt alone
        yield
        return
    from dbt.cli.main import dbtRunner

    original = dbtRunner.invoke

    @functools.wraps(original)
    def invoke(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = sys.gettrace()
        sys.settrace(None)
        try:
            return original(self, *args, **kwargs)
        finally:
            sys.settrace(tracer)

    dbtRunner.invoke = invoke  # type: ignore[method-assign]
    try:
        yield
    finally:
        dbtRunner.invoke = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def floe_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The floe-dbt wheel, built once per session (and xdist worker) from this checkout.

    The wheel test and the docs' journeys install this one wheel (building takes
    under a second: hatchling, no isolation).
    """
    out = tmp_path_factory.mktemp("wheel")
    root = Path(__file__).resolve().parents[1]
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    env.pop("PYTHONPATH", None)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("floe_dbt-*.whl")
    return found


@pytest.fixture
def otel_logs_of() -> Iterator[Callable[[str], Any]]:
    """OpenTelemetry's logging bridge on a logger, into an in-memory exporter it returns.

    The SDK's ``LoggingHandler`` (deprecated for opentelemetry-instrumentation-logging's,
    the same bridge) on its own ``LoggerProvider``: the records a backend would receive.
    """
    import logging
    import warnings

    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import (
        InMemoryLogRecordExporter,
        SimpleLogRecordProcessor,
    )

    attached: list[tuple[logging.Logger, logging.Handler, int, LoggerProvider]] = []

    def attach(name: str) -> InMemoryLogRecordExporter:
        provider = LoggerProvider()
        exporter = InMemoryLogRecordExporter()
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            handler = LoggingHandler(level=logging.INFO, logger_provider=provider)
        logger = logging.getLogger(name)
        attached.append((logger, handler, logger.level, provider))
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        return exporter

    yield attach
    for logger, handler, level, provider in reversed(attached):
        logger.removeHandler(handler)
        logger.setLevel(level)
        provider.shutdown()
