"""Settings for every pytest session in this repository.

The reference runtimes reach the kit without help from here: ``local`` and
``fusion`` are built with no arguments, and ``cloud``'s harness ships with the
cloud runtime (``floe_dbt_cloud.kit_harness``, a ``pytest11`` plugin), so the
kit certifies the same way in this repository as from a wheel anywhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# A throwaway PostgreSQL server (--throwaway-postgres, the postgres_server fixture), in a
# checkout only: the kit's image copies this file without the tests (deploy/k8s/Dockerfile).
if (Path(__file__).parent / "tests" / "support" / "postgres_server.py").is_file():
    pytest_plugins = ["tests.support.postgres_server"]


def pytest_configure(config: pytest.Config) -> None:
    # dbt-core sends anonymous usage events to the internet by default; tests and the
    # certification of this repository keep every request on loopback.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
