"""Taking secret values out of what a runtime writes, logs and raises.

A secret var (:func:`floe_core.selectors.secret_values`) must reach dbt and
nothing else, but dbt copies its vars into ``run_results.json``, renders them
into compiled SQL (``manifest.json``, ``target/compiled``), logs them, and
quotes them in its errors. Every runtime takes them out the same way:

* text (a log line, compiled SQL, an error message): each secret, longest
  first, becomes :data:`REDACTED`, as dbt does for its own
  ``DBT_ENV_SECRET_`` variables;
* a JSON artifact is parsed and only its string *values* are changed, so the
  document stays valid whatever the secret is (``true``, a quote, a digit)
  and keeps its keys; an artifact that holds no secret is left byte for byte.

Examples:
    >>> redact_text("select * from t where key = 's3cr3t'", ["s3cr3t"])
    "select * from t where key = '**********'"
    >>> redact_json(b'{"args": {"vars": {"key": "s3cr3t"}}}', ["s3cr3t"])
    b'{"args": {"vars": {"key": "**********"}}}'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from floe_core.errors import DBTError, UnreadableFile
from floe_core.files import parse_json

__all__ = [
    "REDACTED",
    "holds_secret",
    "redact_document",
    "redact_json",
    "redact_text",
    "redacting",
]

#: What a secret is replaced with, everywhere.
REDACTED = "**********"


def _usable(secrets: Sequence[str]) -> list[str]:
    return sorted({s for s in secrets if s.strip()}, key=lambda s: (-len(s), s))


def redact_text(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each secret (blank ones aside) replaced by :data:`REDACTED`."""
    for secret in _usable(secrets):
        text = text.replace(secret, REDACTED)
    return text


def redact_document(document: Any, secrets: Sequence[str]) -> Any:
    """Replace the secrets in every string value of a parsed JSON document, in place.

    Keys are left as they are (a key is a name dbt chose, and renaming one
    could merge two). The walk is iterative: any depth, no recursion.

    Returns:
        ``document`` itself (a string document: its redacted copy).
    """
    usable = _usable(secrets)
    if not usable:
        return document
    if isinstance(document, str):
        return redact_text(document, usable)
    seen: set[int] = set()
    pending = [document]
    while pending:
        container = pending.pop()
        if id(container) in seen:
            continue
        seen.add(id(container))
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in list(items):
            if isinstance(value, str):
                container[key] = redact_text(value, usable)
            elif isinstance(value, (dict, list)):
                pending.append(value)
    return document


def _forms(secret: str) -> set[bytes]:
    """How a secret can appear in JSON text: as itself, or escaped (ASCII-only or not)."""
    return {
        secret.encode(errors="surrogatepass"),
        json.dumps(secret)[1:-1].encode(),
        json.dumps(secret, ensure_ascii=False)[1:-1].encode(errors="surrogatepass"),
    }


def holds_secret(content: bytes, secrets: Sequence[str]) -> bool:
    """Whether bytes hold a secret, as written or as JSON escapes it."""
    return any(form in content for secret in _usable(secrets) for form in _forms(secret))


def redact_json(content: bytes, secrets: Sequence[str]) -> bytes:
    """A JSON artifact without the secrets: the same bytes when it holds none.

    A document that cannot be parsed (not UTF-8, not JSON) has each form of
    each secret replaced in its bytes instead: it was broken already.
    """
    if not holds_secret(content, secrets):
        return content
    try:
        document = parse_json(content)
    except UnreadableFile:
        for secret in _usable(secrets):
            for form in sorted(_forms(secret), key=len, reverse=True):
                content = content.replace(form, REDACTED.encode())
        return content
    return json.dumps(redact_document(document, secrets)).encode()


@contextmanager
def redacting(secrets: Sequence[str]) -> Iterator[None]:
    """Take the secrets out of the message of a :class:`DBTError` raised inside.

    The error is changed in place (its ``args`` and its text attributes, such
    as a remote service's ``user_message``), so its type and its cause are
    what the caller expects.
    """
    try:
        yield
    except DBTError as exc:
        if _usable(secrets):
            exc.args = tuple(
                redact_text(arg, secrets) if isinstance(arg, str) else arg for arg in exc.args
            )
            for name, value in list(vars(exc).items()):
                if isinstance(value, str):
                    setattr(exc, name, redact_text(value, secrets))
        raise
