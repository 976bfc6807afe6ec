"""dbt's node matching for the selector methods floe writes (``fqn``, ``file``, ``package``).

Restated from dbt-core's ``selector_methods`` (1.8 to 1.11), so exact
selectors can be chosen without importing dbt:

* ``fqn:<value>`` matches a node when its fqn, or its fqn without the
  package, matches: the value equals the leaf (for a versioned model: the
  model name, or its last two parts joined by ``_`` or ``.``); or, the fqn
  flattened at dots (dots in a name are namespace separators), the value's
  dot-separated parts equal its first parts, until a part with a wildcard
  (``*``, ``?``, ``[``, ``]``), from which the rest is an fnmatch pattern
  over the rest of the fqn. dbt 1.11.16 also lets a wildcard value without
  a dot match the leaf alone; floe counts that match too, so a selector is
  exact under every version.
* ``file:<pattern>`` fnmatches the file's name or its stem.
* ``package:<pattern>`` fnmatches the package name (``this`` means the
  project; floe never writes it for another package).

A value may hold letters, digits, ``_ . - : / @`` and ``+`` as themselves
(dbt's ``RAW_SELECTOR_PATTERN`` reads them as the value; floe's selector
grammar allows them), except a ``+`` that only digits follow to the end,
which dbt reads as the children operator (``a+1`` is ``a``, depth 1). Every
other character (a space, a comma, a quote, ``é`` ...) is written ``?``,
which matches any one character, and the exactness check sees every other
node the pattern then matches.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

__all__ = ["as_pattern", "fqn_selects", "has_wildcard", "name_selects"]

_WILDCARDS = frozenset("*?[]")
# What may stand for itself in a selector value: the rest becomes '?'.
_UNSPELLABLE = re.compile(r"[^A-Za-z0-9_.:/@+-]")
_CHILDREN_OPERATOR = re.compile(r"\+(\d*)\Z")


def as_pattern(text: str) -> str:
    """``text`` as a selector value: each character selector syntax cannot spell becomes ``?``.

    Examples:
        >>> as_pattern("a+b"), as_pattern("a+1"), as_pattern("café au lait")
        ('a+b', 'a?1', 'caf??au?lait')
    """
    value = _UNSPELLABLE.sub("?", text)
    return _CHILDREN_OPERATOR.sub(lambda found: "?" + found.group(1), value)


def has_wildcard(value: str) -> bool:
    """Whether dbt reads ``value`` as a pattern."""
    return not _WILDCARDS.isdisjoint(value)


def name_selects(pattern: str, text: str) -> bool:
    """Dbt's fnmatch of a ``file:`` or ``package:`` value (case-sensitive, as on POSIX)."""
    return fnmatchcase(text, pattern)


def fqn_selects(value: str, fqn: list[str], *, versioned: bool) -> bool:
    """Whether ``fqn:<value>`` matches a node of this fqn (with or without its package)."""
    if _selected(fqn, value, versioned=versioned):
        return True
    return len(fqn) > 1 and _selected(fqn[1:], value, versioned=versioned)


def _selected(fqn: list[str], value: str, *, versioned: bool) -> bool:
    parts = value.split(".")
    if versioned and len(fqn) >= 2:
        if fqn[-2] == value or "_".join(fqn[-2:]) == "_".join(parts[-2:]):
            return True
    elif fqn[-1] == value:
        return True
    flat = [item for segment in fqn for item in segment.split(".")]
    if len(flat) < len(parts):
        return False
    for index, part in enumerate(parts):
        if has_wildcard(part):
            if fnmatchcase(".".join(flat[index:]), ".".join(parts[index:])):
                return True
            # dbt 1.11.16: a bare pattern also matches the leaf (the model name when versioned).
            leaf = fqn[-2] if versioned and len(fqn) >= 2 else fqn[-1]
            return "." not in value and fnmatchcase(leaf, value)
        if flat[index] != part:
            return False
    return True
