"""MkDocs hook: publish documents kept outside ``docs/`` (MIGRATION.md, a README) as site pages.

The repository copy is the one people find next to the code; the site shows the
same file, generated at build time, so there is no second text to drift. Links
in such a document are written relative to the root (``docs/guides/x.md``), as
the repository page resolves them; here they are rewritten relative to
``docs/``. A link that leaves ``docs/`` stays as it is, and ``--strict`` then
reports it as a broken link.
"""

from __future__ import annotations

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

# The target of an inline Markdown link or image: ](docs/...) or ](./docs/...).
_DOCS_LINK = re.compile(r"\]\((?:\./)?docs/")


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def rewrite_links(markdown: str) -> str:
    """Make root-relative links to ``docs/`` pages relative to the docs directory.

    Args:
        markdown: A root document's text.

    Returns:
        The text with every ``](docs/...)`` link target made ``](...)``.
    """
    return _DOCS_LINK.sub("](", markdown)


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add each root document to the site as a generated page."""
    root = _root(config)
    for source, site_path in ROOT_DOCUMENTS.items():
        text = (root / source).read_text(encoding="utf-8")
        files.append(File.generated(config, site_path, content=rewrite_links(text)))
    return files


def on_serve(server: Any, config: MkDocsConfig, **_: Any) -> Any:
    """Rebuild on edits of the root documents too, under ``mkdocs serve``."""
    root = _root(config)
    for source in ROOT_DOCUMENTS:
        server.watch(str(root / source))
    return server
