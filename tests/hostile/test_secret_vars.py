"""Hardening round 2, leaks: how secret vars are found and taken out, for every runtime.

The runtimes' own tests (tests/local, tests/cloud) run dbt with a secret var
and look for it everywhere; here the pieces they share are proven on any
input: a redacted JSON artifact stays valid JSON whatever the secret is
(``true``, ``1``, a quote, a backslash, non-ASCII), keeps every key and
every value that held no secret, and holds no secret in any value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from floe_core.errors import DBTRemoteError
from floe_core.redaction import (
    REDACTED,
    holds_secret,
    redact_document,
    redact_json,
    redact_text,
    redacting,
)
from floe_core.selectors import merge_vars, secret_values, vars_argument

SECRET = "s3cr3t-Value"


def test_secret_values_are_found_at_any_depth_and_blank_ones_ignored() -> None:
    values = {
        "a": SecretStr(SECRET),
        "nested": {"list": [1, SecretStr("short"), {"deeper": SecretStr(SECRET)}]},
        "blank": SecretStr("  "),
        "plain": "not-secret",
    }
    assert secret_values(values) == (SECRET, "short")
    # Merged and copied vars keep the marker; the --vars document has the value for dbt.
    merged = merge_vars({"a": SecretStr("x")}, values)
    assert isinstance(merged["a"], SecretStr)
    assert secret_values(merged) == (SECRET, "short")
    assert json.loads(vars_argument(merged) or "")["a"] == SECRET
    assert SECRET not in repr(merged) + str(merged)


@pytest.mark.parametrize("secret", ["true", "1", "null", '"', "\\", ": ", "ünïcode", "a\nb"])
def test_a_secret_that_looks_like_json_syntax_leaves_valid_json(secret: str) -> None:
    document = {"true": True, "n": 1, "s": f"before {secret} after", "list": [secret, None]}
    for ensure_ascii in (True, False):
        content = json.dumps(document, ensure_ascii=ensure_ascii).encode()
        redacted = json.loads(redact_json(content, [secret]))
        assert redacted == {
            "true": True,
            "n": 1,
            "s": f"before {REDACTED} after",
            "list": [REDACTED, None],
        }


_KEYS = st.text(min_size=1, max_size=6)
_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=25,
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for item in value.values() for k in _keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


@settings(max_examples=200, derandomize=True, deadline=None)
@given(document=_DOCUMENTS, secret=st.text(min_size=1, max_size=8), ensure_ascii=st.booleans())
def test_a_redacted_artifact_is_valid_json_without_the_secret_in_any_value(
    document: Any, secret: str, ensure_ascii: bool
) -> None:
    content = json.dumps(document, ensure_ascii=ensure_ascii).encode()
    redacted = redact_json(content, [secret])
    if not secret.strip():
        assert redacted == content  # nothing to hide in blank text (as dbt)
        return
    parsed = json.loads(redacted)
    assert _keys(parsed) == _keys(document)  # keys are dbt's names: never changed
    for before, after in zip(_strings(document), _strings(parsed), strict=True):
        assert secret not in after.replace(REDACTED, "\x00")
        if secret not in before:
            assert after == before
    if not holds_secret(content, [secret]):
        assert redacted == content  # byte for byte


def test_an_error_raised_inside_redacting_keeps_its_type_and_loses_the_secret() -> None:
    cause = ValueError("underlying")

    def fail() -> None:
        with redacting([SECRET]):
            error = DBTRemoteError(
                f"the step said {SECRET}", status_code=400, user_message=f"bad {SECRET}"
            )
            raise error from cause

    with pytest.raises(DBTRemoteError) as raised:
        fail()
    assert str(raised.value) == f"the step said {REDACTED} (HTTP 400; the API says: bad {REDACTED})"
    assert raised.value.user_message == f"bad {REDACTED}"
    assert raised.value.status_code == 400
    assert raised.value.__cause__ is cause
    assert redact_text(f"{SECRET}{SECRET}", [SECRET, "s3cr3t"]) == REDACTED * 2


def test_redaction_edges() -> None:
    shared = ["a s3cr3t-Value b"]
    document = {"x": shared, "y": shared, "z": "no"}  # one list reached twice: redacted once
    assert redact_document(document, [SECRET]) == {
        "x": [f"a {REDACTED} b"],
        "y": [f"a {REDACTED} b"],
        "z": "no",
    }
    assert redact_document(f"{SECRET}!", [SECRET]) == f"{REDACTED}!"
    assert redact_document({"k": SECRET}, ["   "]) == {"k": SECRET}  # nothing to hide
    # A broken artifact (not JSON) still loses the secret, in every form JSON could give it.
    broken = b'{"cmd": "run ' + SECRET.encode() + b'", "x": "caf\xc3\xa9 \\u00e9 s3cr3t-Valu'
    assert SECRET.encode() not in redact_json(broken + b"e", [SECRET])
    assert redact_json(b'["\\u00fcber"', ["\u00fcber"]) == b'["' + REDACTED.encode() + b'"'
