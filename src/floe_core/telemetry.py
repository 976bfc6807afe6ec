"""OpenTelemetry helpers every runtime uses, so spans look the same whatever runs dbt.

Runtimes depend on ``opentelemetry-api`` only: without a configured provider
these spans cost next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from floe_core.plugin_interfaces import DBTRunResult
from floe_core.vocabulary import Option

__all__ = ["SPAN_PREFIX", "dbt_span", "record_result"]

SPAN_PREFIX = "floe.dbt."
_TRACER_NAME = "floe.dbt"


@contextmanager
def dbt_span(
    command: str,
    *,
    runtime: str,
    target: str,
    select: str | None = None,
    exclude: str | None = None,
    full_refresh: bool | None = None,
    fail_fast: bool | None = None,
    state: str | None = None,
    defer: bool | None = None,
) -> Iterator[Span]:
    """Open the ``floe.dbt.<command>`` span of one dbt invocation.

    Exceptions are recorded on the span and re-raised.

    Args:
        command: ``compile``, ``run``, ``test`` ...
        runtime: The runtime type (its entry-point name, e.g. ``acme``).
        target: The dbt target.
        select: The selector, when one was given.
        exclude: The exclusion selector, when one was given.
        full_refresh: Whether incremental models are rebuilt, for ``run``.
        fail_fast: Whether the invocation stops at the first failure (``--fail-fast``).
        state: The state directory (``--state``), when one is bound.
        defer: Whether unselected parents defer to the state (``--defer``).

    Yields:
        The span, for :func:`record_result`.
    """
    tracer = trace.get_tracer(_TRACER_NAME)
    attributes: dict[str, str | bool] = {
        "floe.dbt.runtime": runtime,
        "floe.dbt.command": command,
        "floe.dbt.target": target,
    }
    if select is not None:
        attributes["floe.dbt.select"] = select
    if exclude is not None:
        attributes["floe.dbt.exclude"] = exclude
    if full_refresh is not None:
        attributes["floe.dbt.full_refresh"] = full_refresh
    flags = {Option.FAIL_FAST: fail_fast, Option.STATE: state, Option.DEFER: defer}
    attributes.update({f"floe.dbt.{o.value}": v for o, v in flags.items() if v is not None})
    with tracer.start_as_current_span(SPAN_PREFIX + command, attributes=attributes) as span:
        yield span


def record_result(span: Span, result: DBTRunResult) -> None:
    """Put a run's counts and outcome on its span."""
    span.set_attribute("floe.dbt.success", result.success)
    span.set_attribute("floe.dbt.models_run", result.models_run)
    span.set_attribute("floe.dbt.tests_run", result.tests_run)
    span.set_attribute("floe.dbt.failures", result.failures)
    span.set_attribute("floe.dbt.execution_time_seconds", result.execution_time_seconds)
    if not result.success:
        span.set_status(Status(StatusCode.ERROR, f"{result.failures} failure(s)"))
