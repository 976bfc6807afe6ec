"""Where a secret must never be: metadata, reprs, exceptions, spans, logs, files.

The secrets are the ones the harness names (``RuntimeHarness.secrets``);
metadata is also searched for anything that looks like a credential, which
needs no declared secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from floe_dbt_compliance.recorder import Call

__all__ = [
    "credential_findings",
    "redact",
    "secrets_in_errors",
    "secrets_in_files",
    "secrets_in_logs",
    "secrets_in_spans",
    "secrets_in_text",
]

_CREDENTIAL_KEY = re.compile(
    r"(token|secret|password|passwd|api[_-]?key|credential|authorization|private[_-]?key)", re.I
)
_CREDENTIAL_VALUE = re.compile(r"^(token|bearer|basic)\s+\S+", re.I)
# A DuckDB file holds the warehouse's data, not what the runtime wrote about itself.
_NOT_SEARCHED = (".duckdb", ".duckdb.wal")


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``<secret>``, for what the kit writes down."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text


def secrets_in_text(text: str, secrets: Sequence[str]) -> bool:
    """Whether any of the secrets occurs in ``text``."""
    return any(secret and secret in text for secret in secrets)


def credential_findings(value: Any, secrets: Sequence[str], where: str) -> list[str]:
    """Credential-like keys with values, authorization values and secrets in a JSON document."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _CREDENTIAL_KEY.search(str(key)) and item not in (None, "", False):
                found.append(f"{where}.{key} looks like a credential")
            found += credential_findings(item, secrets, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += credential_findings(item, secrets, f"{where}[{index}]")
    elif isinstance(value, str):
        if _CREDENTIAL_VALUE.match(value.strip()):
            found.append(f"{where} holds an authorization header value")
        if secrets_in_text(value, secrets):
            found.append(f"{where} holds a secret")
    elif value is not None and secrets_in_text(str(value), secrets):
        found.append(f"{where} holds a secret")
    return found


def secrets_in_errors(calls: Iterable[Call], secrets: Sequence[str]) -> list[str]:
    """Calls whose exception (or one it chains) shows a secret in its message or repr."""
    found = []
    for call in calls:
        error: BaseException | None = call.error
        while error is not None:
            if secrets_in_text(f"{error} {error!r}", secrets):
                found.append(f"the {type(error).__name__} of {call.label} shows a secret")
                break
            error = error.__cause__ or error.__context__
    return found


def secrets_in_spans(calls: Iterable[Call], secrets: Sequence[str]) -> list[str]:
    """Spans (attributes, events, status) of the calls that show a secret."""
    found = []
    for call in calls:
        for span in call.trace.spans:
            parts: list[Any] = [dict(span.attributes or {}), span.status.description or ""]
            parts += [(event.name, dict(event.attributes or {})) for event in span.events]
            if secrets_in_text(json.dumps(parts, default=str), secrets):
                found.append(f"span {span.name} of {call.label} carries a secret")
    return found


def secrets_in_logs(calls: Iterable[Call], secrets: Sequence[str]) -> list[str]:
    """Log records emitted during the calls that show a secret."""
    return [
        f"a log record during {call.label} shows a secret ({line.split(':', 1)[0]})"
        for call in calls
        for line in call.logs
        if secrets_in_text(line, secrets)
    ]


def secrets_in_files(root: Path, secrets: Sequence[str]) -> list[str]:
    """Files under ``root`` (the project copy) that hold a secret."""
    needles = [secret.encode() for secret in secrets if secret]
    return [
        f"{path.relative_to(root)} holds a secret"
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not path.name.endswith(_NOT_SEARCHED)
        and any(needle in path.read_bytes() for needle in needles)
    ]
