"""Fixtures of the unit tests: a vendor's runtime distribution installed for the test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from vendor_distribution import MODULE


@pytest.fixture
def acme_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution `acme-floe` with floe.dbt entry points, found by importlib."""
    (tmp_path / "acme_floe.py").write_text(MODULE)
    dist_info = tmp_path / "acme_floe-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-floe\nVersion: 1.0\nProvides-Extra: broken\n"
    )
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [floe.dbt]
            acme = acme_floe:AcmePlugin
            defaults = acme_floe:DefaultsPlugin
            plain = acme_floe:PlainPlugin
            placeholder = acme_floe:PlaceholderPlugin
            broken = acme_floe_missing_dependency:Plugin
            shattered = acme_floe_missing_too:Plugin
            wrong_type = acme_floe:NotAPlugin
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FLOE_MANIFEST", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path
