"""Fixtures of the unit tests: a vendor's runtime distribution installed for the test."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from vendor_distribution import MODULE, NARRATING, SCRIPTED


def install(
    directory: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    text: str,
    entry_points: str,
    extra: str = "",
) -> Path:
    """Put a distribution with one module and its ``floe.dbt`` entry points on sys.path."""
    (directory / f"{module}.py").write_text(text)
    dist_info = directory / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    name = module.replace("_", "-")
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{extra}"
    )
    (dist_info / "entry_points.txt").write_text("[floe.dbt]\n" + entry_points)
    monkeypatch.syspath_prepend(str(directory))
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.chdir(directory)
    return directory


@pytest.fixture
def acme_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution `acme-floe` with floe.dbt entry points, found by importlib."""
    monkeypatch.delenv("FLOE_MANIFEST", raising=False)
    entry_points = textwrap.dedent(
        """\
        acme = acme_floe:AcmePlugin
        defaults = acme_floe:DefaultsPlugin
        plain = acme_floe:PlainPlugin
        placeholder = acme_floe:PlaceholderPlugin
        broken = acme_floe_missing_dependency:Plugin
        shattered = acme_floe_missing_too:Plugin
        wrong_type = acme_floe:NotAPlugin
        """
    )
    return install(
        tmp_path, monkeypatch, "acme_floe", MODULE, entry_points, "Provides-Extra: broken\n"
    )


@pytest.fixture
def scripted_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution `scripted-floe`: a recording lifecycle runtime and one without it."""
    entry_points = (
        "scripted = scripted_floe:ScriptedLifecycle\nseven = scripted_floe:WithoutLifecycle\n"
    )
    return install(tmp_path, monkeypatch, "scripted_floe", SCRIPTED, entry_points)


@pytest.fixture
def narrating_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution `narrating-floe`: a runtime that logs dbt's events and fails a node."""
    entry_points = "narrating = narrating_floe:Narrator\n"
    return install(tmp_path, monkeypatch, "narrating_floe", NARRATING, entry_points)
