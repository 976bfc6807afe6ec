"""External links: listed in one place (docs/external-links.yml) and well formed.

Only their form is checked; nothing is fetched (no network here). Internal
links, anchors and API cross-references are checked by ``mkdocs build --strict``.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from markdown_blocks import ROOT, documents

LINKS_FILE = ROOT / "docs" / "external-links.yml"
# Where external links may appear besides the Markdown documents.
OTHER_SOURCES = [ROOT / "mkdocs.yml", *sorted((ROOT / "deploy").rglob("*.yaml"))]
_URL = re.compile(r"https?://[^\s<>()\"'`\]]+")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# Placeholders and loopback addresses in examples are not links.
_NOT_LINKS = re.compile(r"^https?://(127\.0\.0\.1|localhost|<|\{|example\.(com|org))")


def listed_links() -> list[str]:
    document = yaml.safe_load(LINKS_FILE.read_text(encoding="utf-8"))
    return [entry["url"] for entry in document["links"]]


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of a file where a URL is a link: in Markdown, code is left out.

    A URL in a code block or a code span is a value (``base_url: https://...``),
    not something a reader follows; in YAML every URL counts.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix != ".md":
        return list(enumerate(lines, 1))
    prose: list[tuple[int, str]] = []
    fence: str | None = None
    for number, line in enumerate(lines, 1):
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
        else:
            prose.append((number, _CODE_SPAN.sub("", line)))
    return prose


def used_links() -> dict[str, list[str]]:
    """Every external URL in the published sources -> where it is used."""
    used: dict[str, list[str]] = {}
    for path in [*documents(), *OTHER_SOURCES]:
        for number, line in prose_lines(path):
            for match in _URL.finditer(line):
                url = match.group().rstrip(".,;:")
                if not _NOT_LINKS.match(url):
                    used.setdefault(url, []).append(f"{path.relative_to(ROOT)}:{number}")
    return used


def link_problem(url: str) -> str | None:
    """Why a URL is not a well-formed public https link, or None when it is."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "not https"
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "an IP address, not a host name"
    if not _HOST.match(host):
        return f"host {host!r} is not a public DNS name"
    if parts.username or parts.password:
        return "carries credentials"
    if any(character.isspace() for character in url):
        return "contains whitespace"
    return None


def test_every_listed_link_is_well_formed() -> None:
    links = listed_links()
    assert links, "docs/external-links.yml lists no link"
    problems = {url: problem for url in links if (problem := link_problem(url))}
    assert not problems
    assert len(links) == len(set(links)), "a link is listed twice"


def test_every_used_link_is_listed() -> None:
    unlisted = {url: where for url, where in used_links().items() if url not in listed_links()}
    assert not unlisted, f"add these to docs/external-links.yml: {unlisted}"


def test_every_listed_link_is_used() -> None:
    stale = sorted(set(listed_links()) - set(used_links()))
    assert not stale, f"docs/external-links.yml lists links no page uses: {stale}"


def test_the_form_check_refuses_malformed_links() -> None:
    assert link_problem("http://docs.getdbt.com/") == "not https"
    assert link_problem("https://10.0.0.1/x") == "an IP address, not a host name"
    assert link_problem("https://intranet/x") is not None
    assert link_problem("https://user:pw@github.com/x") == "carries credentials"
    assert link_problem("https://github.com/dbt-labs/dbt-core") is None


def test_link_scan_skips_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Read [the guide](https://docs.getdbt.com/guide).\n"
        "Set `base_url: https://emea.dbt.com/api/v2`.\n"
        "```yaml\nbase_url: https://au.dbt.com/api/v2\n```\n"
        "See https://github.com/dbt-labs/dbt-core after the block.\n",
        encoding="utf-8",
    )
    found = [url.group() for _, line in prose_lines(page) for url in _URL.finditer(line)]
    assert found == ["https://docs.getdbt.com/guide", "https://github.com/dbt-labs/dbt-core"]


def test_link_scan_finds_links_in_markdown() -> None:
    page = "See [dbt](https://docs.getdbt.com/reference/programmatic-invocations)."
    assert [m.group() for m in _URL.finditer(page)] == [
        "https://docs.getdbt.com/reference/programmatic-invocations"
    ]


# Shown by the repository host as they are, not (only) built by MkDocs: their
# relative links must resolve in the repository view.
REPOSITORY_DOCUMENTS = ["README.md", "MIGRATION.md", "src/floe_dbt_fusion/README.md"]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {github_anchor(heading) for heading in headings}


def broken_relative_links(document: Path, root: Path = ROOT) -> list[str]:
    """Relative links of a document that do not resolve from where it sits in the repository."""
    text = "\n".join(line for _, line in prose_lines(document))
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if urlsplit(target).scheme or target.startswith("#"):
            continue
        file_part, _, anchor = target.partition("#")
        path = (document.parent / file_part).resolve()
        missing = not path.exists() or root not in path.parents
        if missing or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("name", REPOSITORY_DOCUMENTS)
def test_repository_documents_relative_links_resolve(name: str) -> None:
    document = ROOT / name
    targets = re.findall(r"\]\(([^)\s]+)\)", document.read_text(encoding="utf-8"))
    assert [t for t in targets if not urlsplit(t).scheme], f"{name} links to no page"
    assert broken_relative_links(document) == []


def test_the_link_check_finds_broken_links(tmp_path: Path) -> None:
    assert github_anchor("The `DBTPlugin` contract") == "the-dbtplugin-contract"
    repository = tmp_path / "repository"
    (repository / "docs").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    (repository / "docs" / "page.md").write_text("# A page\n## Telemetry\n", encoding="utf-8")
    document = repository / "MIGRATION.md"
    document.write_text(
        "[a](docs/page.md) [b](docs/page.md#telemetry) [c](docs/page.md#nowhere) "
        "[d](docs/missing.md) [e](../outside.md) [f](#here) [g](https://example.org/x.md)\n"
        "`[h](docs/missing.md)` is code, not a link\n",
        encoding="utf-8",
    )
    assert broken_relative_links(document, repository) == [
        "docs/page.md#nowhere",
        "docs/missing.md",
        "../outside.md",
    ]


def test_root_documents_are_published_with_their_links_rewritten() -> None:
    hook = importlib.util.spec_from_file_location(
        "root_documents", ROOT / "docs" / "hooks" / "root_documents.py"
    )
    assert hook is not None
    assert hook.loader is not None
    module = importlib.util.module_from_spec(hook)
    hook.loader.exec_module(module)
    text = (
        "[a](docs/guides/x.md#y) [b](src/floe_dbt_fusion/README.md) [c](https://x.org/a.md) "
        "[d](#local) [e](examples/z.py)"
    )
    assert module.rewrite_links(text, "MIGRATION.md", "migration.md") == (
        "[a](guides/x.md#y) [b](runtimes/fusion.md) [c](https://x.org/a.md) "
        "[d](#local) [e](examples/z.py)"
    )
    readme = "[adr](../../docs/adr/0043-x.md) [m](../../MIGRATION.md#rollout)"
    assert module.rewrite_links(readme, "src/floe_dbt_fusion/README.md", "runtimes/fusion.md") == (
        "[adr](../adr/0043-x.md) [m](../migration.md#rollout)"
    )


def test_no_page_has_two_sections_of_one_title() -> None:
    """A link to a repeated title reaches the first only (the troubleshooting page had two)."""
    import re

    from markdown_blocks import documents

    for path in documents():
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        titles = re.findall(r"^(#{2,4} .+?)\s*$", text, flags=re.M)
        repeated = sorted({title for title in titles if titles.count(title) > 1})
        assert not repeated, f"{path}: {repeated}"
