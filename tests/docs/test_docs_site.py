"""The documentation site builds with ``mkdocs build --strict``, and its examples are true.

``--strict`` turns every warning into a failure: a broken internal link or
anchor, a page missing from the nav, an API cross-reference that does not
resolve, a docstring mkdocstrings cannot read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from docs_processes import clean_env, python
from markdown_blocks import ROOT, CodeBlock, all_blocks, parse_blocks

from floe_core.errors import ManifestError
from floe_core.schemas import PlatformManifest

MANIFEST_BLOCKS = [
    block for block in all_blocks() if block.title and block.title.endswith("manifest.yaml")
]


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    completed = python(
        *["-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=clean_env(NO_MKDOCS_2_WARNING="1"),
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    # MIGRATION.md is published from the root file, its docs/ links made site-relative.
    migration = (site / "migration" / "index.html").read_text(encoding="utf-8")
    assert "dbtRunner" in migration
    assert 'href="../guides/dbt-runtime-selection/' in migration
    # The API reference was generated from the docstrings.
    reference = (site / "reference" / "core" / "index.html").read_text(encoding="utf-8")
    assert "floe_core.plugin_interfaces.DBTPlugin.run_models" in reference


def test_every_nav_page_exists() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.Loader)

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [page for item in nav for page in pages(item)]
        if isinstance(nav, dict):
            return [page for value in nav.values() for page in pages(value)]
        return []

    generated = {"migration.md", "runtimes/fusion.md"}  # docs/hooks/root_documents.py
    missing = [
        p for p in pages(config["nav"]) if p not in generated and not (ROOT / "docs" / p).is_file()
    ]
    assert not missing


@pytest.mark.parametrize("block", MANIFEST_BLOCKS, ids=[block.id for block in MANIFEST_BLOCKS])
def test_manifest_examples_validate(block: CodeBlock, tmp_path: Path) -> None:
    """Every ``manifest.yaml`` example is a valid manifest, unless shown as invalid."""
    path = tmp_path / "manifest.yaml"
    path.write_text(block.code, encoding="utf-8")
    if block.marker == "invalid-manifest":
        with pytest.raises(ManifestError):
            PlatformManifest.from_yaml(path)
    else:
        PlatformManifest.from_yaml(path)


def test_docs_show_a_manifest_for_each_runtime() -> None:
    runtimes = set()
    for block in MANIFEST_BLOCKS:
        if block.marker != "invalid-manifest":
            runtimes.add(yaml.safe_load(block.code)["plugins"]["dbt_runtime"])
    assert runtimes == {"local", "cloud", "fusion"}


def test_markers_tag_code_blocks(tmp_path: Path) -> None:
    """The collector refuses a marker that tags nothing, so no example is silently skipped."""
    page = tmp_path / "page.md"
    page.write_text("<!-- runnable -->\nprose\n```python\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="tags no code block"):
        parse_blocks(page, root=tmp_path)
    page.write_text("<!-- runnable -->\n\n```python\nx = 1\n```\n", encoding="utf-8")
    (block,) = parse_blocks(page, root=tmp_path)
    assert (block.marker, block.language, block.line, block.code) == (
        "runnable",
        "python",
        4,
        "x = 1\n",
    )
