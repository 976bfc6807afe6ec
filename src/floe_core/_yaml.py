"""Private: reading a configuration file as YAML without trusting it.

A platform manifest is small, but the file given may be anything: a FIFO that
never ends, ``/dev/zero``, UTF-16, 100,000 nested brackets, a 1 KB alias bomb
that expands to a billion values, the same key twice. Each is refused here
with a reason a person can act on, before anything else looks at the data:

* the file is read by :func:`floe_core.files.read_text`: only a regular
  file, at most :data:`~floe_core.files.MAX_TEXT_BYTES`, UTF-8 text;
* nesting deeper than :data:`MAX_DEPTH` is refused while the document is
  composed, so the composer never recurses out of the stack;
* the document may not expand (through aliases) to more than
  :data:`MAX_VALUES` values, and an alias may not contain itself;
* a key given twice in one mapping is refused (YAML would keep the last);
* integers are read as YAML 1.2 decimal integers: ``012345`` (octal in
  YAML 1.1), ``0x1F``, ``1_000`` or ``1:30`` stay the text the user wrote,
  so an id is never silently changed into another number; dates stay text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

__all__ = [
    "MAX_DEPTH",
    "MAX_VALUES",
    "LineIndex",
    "YamlProblem",
    "load_yaml",
    "not_utf8",
]

MAX_DEPTH = 64
MAX_VALUES = 100_000
_TOO_DEEP = (
    f"nested more than {MAX_DEPTH} levels deep; a manifest needs a few levels: "
    "is this the right file?"
)


# Text decoded from bytes that are not UTF-8 (``surrogateescape``: a command line
# argument, an environment variable) holds lone surrogates no YAML reader takes.
_SURROGATE = re.compile("[\ud800-\udfff]")


def not_utf8(text: str, index: int) -> str:
    """Say which byte of ``text`` is not UTF-8 (a lone surrogate at ``index``), and the fix."""
    code = ord(text[index])
    byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "a lone surrogate"
    return (
        f"is not UTF-8 text ({byte} at character {index} cannot be decoded); give it as UTF-8 "
        "(check the encoding of the terminal, script or file it comes from)"
    )


class YamlProblem(Exception):
    """The text is not a YAML document floe accepts.

    Attributes:
        reason: What is wrong and the fix.
        line: The 1-based line, when known.
        loc: The key path, when the problem belongs to a key (None: the file).
    """

    def __init__(self, reason: str, line: int | None, loc: list[str | int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.loc = loc


# libyaml's parser (C) when it is there, with PyYAML's composer (Python), so that
# the nesting limit below applies: libyaml's own composer recurses in C.
_PARSER: tuple[Any, ...]
try:
    import yaml.cyaml as _libyaml
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _PARSER = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)
else:
    _PARSER = (_libyaml.CParser,)  # type: ignore[attr-defined]


# The parser bases are chosen at import, which mypy cannot follow.
class _Loader(
    yaml.composer.Composer,
    *_PARSER,  # type: ignore[misc]
    yaml.constructor.SafeConstructor,
    yaml.resolver.Resolver,
):
    """A safe loader with bounded nesting and YAML 1.2 decimal integers."""

    def __init__(self, stream: str) -> None:
        if len(_PARSER) == 1:
            _PARSER[0].__init__(self, stream)
        else:  # pragma: no cover - PyYAML built without libyaml
            for base in _PARSER[:1]:
                base.__init__(self, stream)
            for base in _PARSER[1:]:
                base.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # Mappings and lists nest; a scalar inside the deepest of them is not another level
        # (so a document holds as many levels as the vars checker accepts, MAX_VARS_DEPTH).
        if self.check_event(yaml.ScalarEvent, yaml.AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise YamlProblem(_TOO_DEEP, mark.line + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1's int resolver reads 012345 as octal 5349 and 1:30 as 90. Keep only
# plain decimals; everything else stays a string for the schema to judge. Dates
# stay text too (2024-01-01 is a value for dbt's --vars, not a datetime.date).
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"})
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _TEXT_TAGS]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "(complex key)"


def _check_tree(root: yaml.Node, shown_key: Any) -> None:
    """Refuse duplicate keys, self-containing aliases and documents that expand too far.

    Walks each node once, without recursion: aliases share nodes, so the
    expanded size is a sum over shared children, never an expansion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, list[str | int], bool]] = [(root, [], False)]
    while stack:
        node, path, finished = stack.pop()
        key = id(node)
        if finished:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_VALUES:
                raise YamlProblem(
                    f"expands to more than {MAX_VALUES:,} values (YAML aliases repeat what "
                    "they point to); write the values out instead",
                    node.start_mark.line + 1,
                    path or None,
                )
            continue
        if key in sizes:
            continue
        if key in active:
            raise YamlProblem(
                "a YAML alias refers to a value that contains it; remove the alias",
                node.start_mark.line + 1,
                path or None,
            )
        active.add(key)
        stack.append((node, path, True))
        if isinstance(node, yaml.MappingNode):
            _refuse_duplicates(node, path, shown_key)
            # Pushed last-first, so the walk (and any location reported) follows the file.
            for key_node, value in reversed(node.value):
                stack.append((value, [*path, _key_text(key_node)], False))
                stack.append((key_node, path, False))
        elif isinstance(node, yaml.SequenceNode):
            items = list(enumerate(node.value))
            stack.extend((item, [*path, i], False) for i, item in reversed(items))


def _refuse_duplicates(node: yaml.MappingNode, path: list[str | int], shown_key: Any) -> None:
    first_line: dict[tuple[str, Any], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        line = key_node.start_mark.line + 1
        previous = first_line.get((key_node.tag, key_node.value))
        if previous is None:
            first_line[(key_node.tag, key_node.value)] = line
        else:
            raise YamlProblem(
                f"key {shown_key(str(key_node.value))} is given twice (first on line "
                f"{previous}); YAML would keep only the last one: remove one of them",
                line,
                [*path, str(key_node.value)],
            )


def load_yaml(text: str, *, shown_key: Any = repr) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document within the limits of this module.

    Args:
        text: The document.
        shown_key: Renders a key for a message (hides keys that look like credentials).

    Returns:
        The data and its node tree (for line numbers); ``(None, None)`` when empty.

    Raises:
        YamlProblem: Not Unicode text, not YAML, more than one document, or
            outside the limits.
    """
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        raise YamlProblem(
            not_utf8(text, surrogate.start()), text.count("\n", 0, surrogate.start()) + 1
        )
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_tree(root, shown_key)
        return loader.construct_document(root), root
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = str(getattr(exc, "problem", None) or "not valid YAML")
        if "nesting depth" in problem:  # libyaml's own limit, deeper than ours
            raise YamlProblem(_TOO_DEEP, line) from None
        context = getattr(exc, "context", None)
        reason = f"{context}, {problem}" if context else problem
        raise YamlProblem(f"invalid YAML: {reason[:160]}", line) from None
    finally:
        loader.dispose()


class LineIndex:
    """Finds the line of a key path in a node tree, each mapping indexed once.

    Args:
        root: The document's root node, or None.
    """

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root
        self._mappings: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = {}

    def _pairs(self, node: yaml.MappingNode) -> dict[Any, tuple[yaml.Node, yaml.Node]]:
        index = self._mappings.get(id(node))
        if index is None:
            index = {}
            for key_node, value in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    index.setdefault(key_node.value, (key_node, value))
            self._mappings[id(node)] = index
        return index

    def line(self, loc: list[str | int] | tuple[str | int, ...]) -> int | None:
        """1-based line of the key at ``loc``; of its closest existing parent when missing."""
        node = self._root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = self._pairs(node).get(str(part))
                if match is None:
                    return line
                line = match[0].start_mark.line + 1
                node = match[1]
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line
