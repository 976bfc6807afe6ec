"""A change to the code asks for a docs review: CODEOWNERS and the pull-request template."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import floe_core

ROOT = Path(floe_core.__file__).parents[2]
DOCS_TEAM = "@floe-dbt/docs"


def owners(path: str, rules: list[tuple[str, list[str]]]) -> list[str]:
    """The owners of a repository path: the last matching rule wins, as on GitHub."""
    found: list[str] = []
    for pattern, who in rules:
        anchored = pattern.lstrip("/")
        if pattern.endswith("/"):
            matches = path.startswith(anchored)
        elif pattern.startswith("/"):
            matches = fnmatch.fnmatch(path, anchored)
        else:
            matches = fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, pattern)
        if matches:
            found = who
    return found


def codeowners() -> list[tuple[str, list[str]]]:
    rules = []
    for line in (ROOT / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *who = line.split()
            rules.append((pattern, who))
    return rules


def test_the_rule_reader_takes_the_last_match() -> None:
    rules = [("*", ["@a"]), ("/src/", ["@b"]), ("/docs/", ["@c"])]
    assert owners("README.md", rules) == ["@a"]
    assert owners("src/x/y.py", rules) == ["@b"]
    assert owners("tests/src/y.py", rules) == ["@a"]


def test_code_changes_need_a_docs_review() -> None:
    rules = codeowners()
    for path in (
        "src/floe_core/cli.py",
        "src/floe_dbt_cloud/plugin.py",
        "compliance/floe_dbt_compliance/kit.py",
        "docs/guides/troubleshooting.md",
        "MIGRATION.md",
    ):
        assert DOCS_TEAM in owners(path, rules), path
    assert owners("tests/unit/test_review_policy.py", rules) == ["@floe-dbt/maintainers"]


def test_the_pull_request_template_asks_for_it() -> None:
    template = (ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    assert "## Documentation review" in template
    assert "`src/`" in template
    assert "`compliance/`" in template
    assert "- [ ] A docs reviewer has approved it." in template
