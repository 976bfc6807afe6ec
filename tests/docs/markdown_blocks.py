"""Find the fenced code blocks of the documentation, and the markers that tag them.

A block is tagged by an HTML comment on the line right before its opening
fence (it renders as nothing)::

    <!-- runnable -->
    ```python
    ...
    ```

* ``runnable``: a Python block the test suite executes as a script, in a
  fresh working directory (``test_docs_snippets.py``) that holds only the
  page's ``file`` blocks; ``runnable: examples/NAME`` also copies that
  example project of the repository there, as ``NAME/``.
* ``file``: a block with a ``title="name"`` that the page's runnable blocks
  find in their working directory under that name (the files a guide shows).
* ``message: NAME``: a text block quoting an error message exactly as the code
  produces it (``test_docs_troubleshooting.py`` produces it and compares).
* ``invalid-manifest``: a ``manifest.yaml`` block shown as an example of what
  validation refuses; every other block titled ``manifest.yaml`` must validate.

Blocks are found at any indentation (inside admonitions and lists too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^[ \t]*<!--[ \t]*(?P<marker>[a-z][a-z-]*(?::[^>]*?)?)[ \t]*-->[ \t]*$")
_TITLE = re.compile(r"""title=["'](?P<title>[^"']*)["']""")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block of a Markdown document.

    Attributes:
        path: The document, relative to the repository root.
        line: 1-based line of the block's first code line.
        language: The info string's first word (``python``, ``yaml`` ...).
        title: The ``title="..."`` attribute, if any.
        marker: The tag of the HTML comment right before the fence, if any.
        code: The block's text, dedented to the fence's indentation.
    """

    path: Path
    line: int
    language: str
    title: str | None
    marker: str | None
    code: str

    @property
    def id(self) -> str:
        """A test id: ``docs/page.md:42``."""
        return f"{self.path.as_posix()}:{self.line}"

    def marker_value(self, name: str) -> str | None:
        """The argument of a ``name: value`` marker, or None when the marker is another."""
        if self.marker is None or not self.marker.startswith(name + ":"):
            return None
        return self.marker.split(":", 1)[1].strip()


# Published by docs/hooks/root_documents.py, or shown on the repository page.
OUTSIDE_DOCS = ["MIGRATION.md", "README.md", "src/floe_dbt_fusion/README.md"]


def documents() -> list[Path]:
    """Every Markdown document the site publishes, and the repository's README."""
    pages = sorted((ROOT / "docs").rglob("*.md"))
    return [*pages, *(ROOT / name for name in OUTSIDE_DOCS)]


def parse_blocks(path: Path, root: Path = ROOT) -> list[CodeBlock]:
    """Return the fenced code blocks of one Markdown file, in order.

    Args:
        path: The Markdown file.
        root: What ``CodeBlock.path`` is made relative to.

    Raises:
        ValueError: A fence is never closed, or a marker comment is not followed
            by a fence (a tag that tags nothing would silently test nothing).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    relative = path.relative_to(root)
    blocks: list[CodeBlock] = []
    marker: str | None = None
    marker_line = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE.match(line)
        if opening is None:
            found = _MARKER.match(line)
            if marker is not None and line.strip():
                raise ValueError(f"{relative}:{marker_line}: marker {marker!r} tags no code block")
            if found is not None:
                marker, marker_line = found["marker"], index + 1
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        closing = re.compile(rf"^{re.escape(indent)}{fence[0]}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"{relative}:{index + 1}: code fence never closed")
        body = [_dedent(text, indent) for text in lines[index + 1 : end]]
        title = _TITLE.search(info)
        blocks.append(
            CodeBlock(
                path=relative,
                line=index + 2,
                language=_language(info),
                title=title["title"] if title else None,
                marker=marker,
                code="\n".join(body) + "\n",
            )
        )
        marker = None
        index = end + 1
    if marker is not None:
        raise ValueError(f"{relative}:{marker_line}: marker {marker!r} tags no code block")
    return blocks


def _language(info: str) -> str:
    """``python title="x"`` -> ``python``; ``{ .text .wrap }`` (attribute form) -> ``text``."""
    if info.startswith("{"):
        classes = re.findall(r"\.([\w-]+)", info)
        return classes[0] if classes else ""
    return info.split()[0] if info else ""


def _dedent(text: str, indent: str) -> str:
    return text[len(indent) :] if text.startswith(indent) else text.lstrip()


def all_blocks() -> list[CodeBlock]:
    """The code blocks of every published document."""
    return [block for path in documents() for block in parse_blocks(path)]
