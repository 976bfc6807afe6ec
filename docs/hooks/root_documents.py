"""MkDocs hook: publish documents kept outside ``docs/`` (MIGRATION.md, a README) as site pages.

The repository copy is the one people find next to the code; the site shows the
same file, generated at build time, so there is no second text to drift. Links
in such a document are written relative to the document itself, as the
repository page resolves them (``docs/guides/x.md`` from MIGRATION.md,
``../../docs/adr/y.md`` from a package README); here they are rewritten to
where the target is published: a page under ``docs/``, or another root
document. A link to anything else stays as it is, and ``--strict`` then
reports it as a broken link.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

# Repository file -> where it appears in the site.
ROOT_DOCUMENTS = {
    "MIGRATION.md": "migration.md",
    "src/floe_dbt_fusion/README.md": "runtimes/fusion.md",
}

# The target of an inline Markdown link or image, up to an anchor: ](target#anchor).
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def rewrite_links(markdown: str, source: str, site_path: str) -> str:
    """Make a root document's relative links point where their targets are published.

    Args:
        markdown: The document's text.
        source: Its path in the repository.
        site_path: Its path in the site (relative to ``docs/``).

    Returns:
        The text with each link to a ``docs/`` page or to another root document
        made relative to ``site_path``.
    """
    here = posixpath.dirname(source)
    published_dir = posixpath.dirname(site_path)

    def published(match: re.Match[str]) -> str:
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
            return match.group(0)
        in_repository = posixpath.normpath(posixpath.join(here, target))
        if in_repository.startswith("docs/"):
            page = in_repository.removeprefix("docs/")
        elif in_repository in ROOT_DOCUMENTS:
            page = ROOT_DOCUMENTS[in_repository]
        else:
            return match.group(0)
        relative = posixpath.relpath(page, published_dir or ".")
        return f"]({relative}{match.group('anchor') or ''})"

    return _LINK.sub(published, markdown)


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add each root document to the site as a generated page."""
    root = _root(config)
    for source, site_path in ROOT_DOCUMENTS.items():
        text = (root / source).read_text(encoding="utf-8")
        content = rewrite_links(text, source, site_path)
        files.append(File.generated(config, site_path, content=content))
    return files


def on_serve(server: Any, config: MkDocsConfig, **_: Any) -> Any:
    """Rebuild on edits of the root documents too, under ``mkdocs serve``."""
    root = _root(config)
    for source in ROOT_DOCUMENTS:
        server.watch(str(root / source))
    return server
