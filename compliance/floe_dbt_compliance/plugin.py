"""The pytest plugin entry point (``pytest11``): registers the kit's options."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--floe-dbt-*`` options; nothing else happens without them."""
    group = parser.getgroup("floe-dbt", "floe-dbt compliance kit")
    group.addoption(
        "--floe-dbt-compliance",
        action="store_true",
        default=False,
        help="Collect the floe-dbt compliance suites and certify the selected dbt runtimes.",
    )
