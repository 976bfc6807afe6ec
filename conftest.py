"""Settings for every pytest session in this repository.

The reference runtimes reach the kit without help from here: ``local`` and
``fusion`` are built with no arguments, and ``cloud``'s harness ships with the
cloud runtime (``floe_dbt_cloud_emulator.kit_harness``, a ``pytest11`` plugin), so the
kit certifies the same way in this repository as from a wheel anywhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# A throwaway PostgreSQL server (--throwaway-postgres, the postgres_server fixture), in a
# checkout only: the kit's image copies this file without the tests (deploy/k8s/Dockerfile).
# Imported rather than named in pytest_plugins, which pytest refuses when this file is not
# the rootdir's (a session elsewhere that collects the editable kit loads it too).
if (Path(__file__).parent / "tests" / "support" / "postgres_server.py").is_file():
    from tests.support import postgres_server as _postgres

    pytest_addoption = _postgres.pytest_addoption
    postgres_server = _postgres.postgres_server
    _start_postgres = _postgres.pytest_configure
else:  # pragma: no cover - the image

    def _start_postgres(config: pytest.Config) -> None:
        del config


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _start_postgres(config)
    # dbt-core sends anonymous usage events to the internet by default; tests and the
    # certification of this repository keep every request on loopback.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
