"""Credentials taken out of dbt artifacts before they are stored anywhere.

dbt writes the command line that started it into ``run_results.json``
(``args.invocation_command``), and a project can put anything into node
configs, vars or ``meta``; a dbt Cloud token found there would otherwise be
copied into ``<project_dir>/target/`` and the artifact cache. Every artifact
the cloud runtime (and the emulator) keeps goes through :func:`scrub_credentials`,
which replaces, in the raw JSON text:

* each configured secret (the runtime's own API token), as written and as
  JSON escapes it;
* anything shaped like a dbt Cloud token: ``dbtc_`` (service), ``dbtu_``
  (user), ``dbtp_`` (personal access) followed by 16 or more token
  characters;
* the value after ``Token`` or ``Bearer`` (any case) when it looks like a
  credential: 16 or more token characters, at least one of them a digit.

Replacing inside the JSON text keeps the document valid (no pattern matches
a quote or a backslash) and leaves an artifact without credentials byte for
byte as dbt wrote it. A secret shorter than 8 characters cannot be told from
ordinary text and is not searched for; dbt Cloud tokens are much longer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence

from pydantic import SecretStr

from floe_core.redaction import redact_json

__all__ = ["REDACTED", "artifact_scrubber", "scrub_credentials"]

REDACTED = "**********"
_MIN_SECRET = 8
_TOKEN_SHAPED = re.compile(rb"\bdbt[cup]_[A-Za-z0-9_-]{16,}")
# "Token <value>" / "Bearer <value>": keep the scheme and the spaces, replace the value.
_SCHEME_VALUE = re.compile(
    rb"(?i:\b(token|bearer))([ \t]+)(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*"
)


def scrub_credentials(content: bytes, secrets: Iterable[str] = ()) -> bytes:
    """Replace credentials in an artifact's JSON text with :data:`REDACTED`.

    Args:
        content: The artifact's bytes (UTF-8 JSON).
        secrets: Values to remove wherever they appear (the API token).

    Returns:
        The same bytes when nothing was found, else the scrubbed text.

    Examples:
        >>> scrub_credentials(b'{"cmd": "run --token dbtc_AbCdEf0123456789xyz"}')
        b'{"cmd": "run --token **********"}'
        >>> scrub_credentials(b'{"h": "Bearer eyJhbGciOi.J9.x1"}')
        b'{"h": "Bearer **********"}'
    """
    redacted = REDACTED.encode()
    for secret in secrets:
        if len(secret) < _MIN_SECRET:
            continue
        for form in {secret, json.dumps(secret)[1:-1]}:
            content = content.replace(form.encode(), redacted)
    content = _TOKEN_SHAPED.sub(redacted, content)
    return _SCHEME_VALUE.sub(rb"\1\2" + redacted, content)


def artifact_scrubber(token: SecretStr, secrets: Sequence[str] = ()) -> Callable[[bytes], bytes]:
    """What every artifact of one call goes through before it is kept anywhere.

    Args:
        token: The API token the runtime holds.
        secrets: The call's secret vars (dbt copies ``--vars`` into
            ``run_results.json``, and a project may render them into
            ``manifest.json``): redacted in string values only
            (:func:`floe_core.redaction.redact_json`), so the artifact stays valid.

    Returns:
        ``bytes -> bytes``: the secret vars, then the credentials, taken out.
    """

    def scrub(content: bytes) -> bytes:
        return scrub_credentials(redact_json(content, secrets), (token.get_secret_value(),))

    return scrub
