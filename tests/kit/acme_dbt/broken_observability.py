"""Variants that break spans, metadata, and where secrets must never be."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime

logger = logging.getLogger("acme_dbt")


class NoSpan(AcmeRuntime):
    """Records nowhere: its 'span' is the non-recording one."""

    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        return contextlib.nullcontext(trace.INVALID_SPAN)


class DoubleSpan(AcmeRuntime):
    """Opens the invocation's span twice, one inside the other."""

    @contextlib.contextmanager
    def _span(self, command: str, target: str, **attributes: Any) -> Iterator[Any]:
        with (
            super()._span(command, target, **attributes),
            super()._span(command, target, **attributes) as inner,
        ):
            yield inner


class SpanWithoutCounts(AcmeRuntime):
    """Marks a failed result on the span, but records no counts."""

    def _record(self, span: Any, result: DBTRunResult) -> None:
        if not result.success:
            span.set_status(Status(StatusCode.ERROR, "failed"))


class SpanStatusUnset(AcmeRuntime):
    """Records the counts, never the failure."""

    def _record(self, span: Any, result: DBTRunResult) -> None:
        for name in ("success", "models_run", "tests_run", "failures"):
            span.set_attribute(f"floe.dbt.{name}", getattr(result, name))


class SpanWithoutSelectors(AcmeRuntime):
    def _span(self, command: str, target: str, **attributes: Any) -> Any:
        attributes.pop("select", None)
        attributes.pop("exclude", None)
        return super()._span(command, target, **attributes)


class SecretInSpan(AcmeRuntime):
    @contextlib.contextmanager
    def _span(self, command: str, target: str, **attributes: Any) -> Iterator[Any]:
        with super()._span(command, target, **attributes) as span:
            span.set_attribute("acme.auth", f"Token {self._token}")
            yield span


class MetadataWithoutType(AcmeRuntime):
    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"kind": "acme"}


class MetadataNotJson(AcmeRuntime):
    def get_runtime_metadata(self) -> dict[str, Any]:
        return {**super().get_runtime_metadata(), "started": datetime(2026, 1, 1)}


class SecretInMetadata(AcmeRuntime):
    def get_runtime_metadata(self) -> dict[str, Any]:
        return {**super().get_runtime_metadata(), "auth": f"Token {self._token}"}


class SecretInResultMetadata(AcmeRuntime):
    def _result_metadata(self, command: str, run_results: dict[str, Any]) -> dict[str, Any]:
        return {**super()._result_metadata(command, run_results), "session": self._token}


class SecretInRepr(AcmeRuntime):
    def __repr__(self) -> str:
        return f"AcmeRuntime(token={self._token!r})"


class SecretInLogs(AcmeRuntime):
    def _dbt(self, command: str, arguments: list[str], project_dir: Path) -> tuple[Any, float]:
        logger.debug("invoking dbt %s with token %s", command, self._token)
        return super()._dbt(command, arguments, project_dir)


class SecretInLogAttributes(AcmeRuntime):
    """Logs a clean message whose structured field holds the token.

    A logging bridge exports every ``extra`` field as an OpenTelemetry attribute.
    """

    def _dbt(self, command: str, arguments: list[str], project_dir: Path) -> tuple[Any, float]:
        logger.debug("invoking dbt %s", command, extra={"acme_session": self._token})
        return super()._dbt(command, arguments, project_dir)


class SecretInTarget(AcmeRuntime):
    """Leaves a note with the token in the project's target directory."""

    def _dbt(self, command: str, arguments: list[str], project_dir: Path) -> tuple[Any, float]:
        note = project_dir / "target" / "acme-session.json"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(json.dumps({"token": self._token}), encoding="utf-8")
        return super()._dbt(command, arguments, project_dir)
