"""Private: deciding whether user text may be echoed in a message.

Configuration mistakes are reported with the key, the line and the fix, and
sometimes with the text the user wrote (a runtime name, a key, a reference),
because that is what they need to see. But people paste tokens in the wrong
place: as a reference, as a key, as a runtime name. Text that looks like a
credential is therefore never echoed, anywhere; a message says what it is and
not what it holds.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter

# Prefixes of tokens people are likely to paste into a platform manifest:
# dbt's hosted service's tokens (dbtc_ service, dbtu_ user, dbtp_ personal
# access tokens), and the common forge and cloud-provider ones.
_TOKEN_PREFIXES = (
    "dbtc_",
    "dbtu_",
    "dbtp_",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "AKIA",
    "ASIA",
    "eyJ",  # a JSON Web Token's header
)
# A run of characters with no word separator in it.
_RUN = re.compile(r"[^\s\-_./:@]+")
# Runs this long are random material, whatever their letters.
_ALWAYS_SECRET_RUN = 32
# Shorter runs that mix letters and digits with this much entropy per character.
_MIXED_RUN = 20
_MIXED_ENTROPY_BITS = 3.0
# Text this long whose letters and digits alternate this often.
_ALTERNATING_LENGTH = 16
_ALTERNATIONS = 6
_SHOWN = 60
# A word of a name: lowercase (camelCase too), UPPERCASE or Capitalized, then
# digits at most (``api``, ``dbtCloud``, ``TOKEN``, ``v2``, ``2024``).
_NAME_WORD = re.compile(r"(?:[a-z]+(?:[A-Z][a-z]+)*|[A-Z]+|[A-Z][a-z]+(?:[A-Z][a-z]+)*)?[0-9]*")
_NAME_SEPARATORS = re.compile(r"[-_.]")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


@functools.lru_cache(maxsize=4096)
def looks_like_credential(text: str) -> bool:
    """Whether ``text`` could be a token, a password or a key rather than a name.

    Args:
        text: The text the user wrote.

    Returns:
        True for known token prefixes and for long random-looking runs.

    Examples:
        >>> looks_like_credential("warehouse-password")
        False
        >>> looks_like_credential("dbtc_1a2B3c")
        True
        >>> looks_like_credential("3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b")
        True
    """
    if text.startswith(_TOKEN_PREFIXES):
        return True
    # Random material alternates letters and digits (a UUID, a hex or base62
    # token, dashes or not); names do so rarely.
    material = "".join(_RUN.findall(text))
    kinds = ["d" if c.isdigit() else "a" for c in material if c.isalnum()]
    alternations = sum(1 for a, b in itertools.pairwise(kinds) if a != b)
    if len(material) >= _ALTERNATING_LENGTH and alternations >= _ALTERNATIONS:
        return True
    for run in _RUN.findall(text):
        if len(run) >= _ALWAYS_SECRET_RUN:
            return True
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        if len(run) >= _MIXED_RUN and mixed and _entropy(run) >= _MIXED_ENTROPY_BITS:
            return True
    return False


def shown(text: str, *, what: str = "value") -> str:
    """Quote user text for a message, unless it could be a secret or is unreadable.

    Args:
        text: The text the user wrote.
        what: What it is, for the placeholder (``key``, ``name`` ...).

    Returns:
        ``'text'`` (shortened when long), or a placeholder that says why it is not shown.

    Examples:
        >>> shown("cluod")
        "'cluod'"
        >>> shown("dbtc_1a2B3c", what="key")
        '(a key that looks like a credential, not shown)'
    """
    if looks_like_credential(text):
        return f"(a {what} that looks like a credential, not shown)"
    if not text.isprintable():
        return f"(a {what} with control characters, not shown)"
    if len(text) > _SHOWN:
        return repr(text[: _SHOWN - 3] + "...")
    return repr(text)


def looks_like_name(text: str) -> bool:
    """Whether ``text`` reads as a name a person chose, so it may be shown in a message.

    A reference is a name (``dbt-cloud-api-token``, ``DBT_CLOUD_TOKEN``,
    ``warehousePassword2``): words, each lowercase, UPPERCASE or Capitalized
    and then digits, between ``-``, ``_`` or ``.``. A token pasted in its place
    mixes cases and digits inside its words (``hG7kq2Lp9xW3``) even when it is
    too short or too plain for :func:`looks_like_credential` to be sure.

    Examples:
        >>> looks_like_name("dbt-cloud-api-token")
        True
        >>> looks_like_name("hG7kq2Lp9xW3")
        False
    """
    if not text or not text.isascii() or looks_like_credential(text):
        return False
    words = _NAME_SEPARATORS.split(text)
    return all(_NAME_WORD.fullmatch(word) for word in words) and any(words)


def shown_reference(ref: str) -> str:
    """Quote a secret reference for a message when it looks like a name; else say it is hidden.

    Examples:
        >>> shown_reference("warehouse-password")
        "'warehouse-password'"
        >>> shown_reference("hG7kq2Lp9xW3")
        '(a reference that does not look like a name, not shown)'
    """
    if looks_like_name(ref) and len(ref) <= _SHOWN:
        return repr(ref)
    return "(a reference that does not look like a name, not shown)"
