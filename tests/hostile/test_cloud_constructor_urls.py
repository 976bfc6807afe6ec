"""The cloud runtime's constructor refuses what its config model refuses in a URL.

A platform that builds ``DBTCloudPlugin`` in code (a test harness, a notebook)
never goes through ``manifest.yaml``: a token pasted into ``base_url``'s
userinfo would otherwise reach the repr, the metadata and every error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_dbt_cloud import DBTCloudPlugin

TOKEN = "dbtc_4f9a1c2e7b3d8e6f0a5b"
JOBS = {"compile": 1, "run": 2, "test": 3}


@pytest.mark.parametrize(
    ("field", "url", "message"),
    [
        ("base_url", f"https://me:{TOKEN}@cloud.getdbt.com/api/v2", "must not carry credentials"),
        ("base_url", f"https://{TOKEN}@cloud.getdbt.com/api/v2", "must not carry credentials"),
        ("discovery_url", f"https://x:{TOKEN}@metadata.cloud.getdbt.com/graphql", "credentials"),
        ("base_url", "http://cloud.getdbt.com/api/v2", "must use https"),
        ("base_url", "cloud.getdbt.com/api/v2", "must be an absolute URL"),
    ],
)
def test_urls_with_credentials_or_without_https_are_refused(
    tmp_path: Path, field: str, url: str, message: str
) -> None:
    options = {"base_url": "https://cloud.getdbt.com/api/v2", field: url}
    with pytest.raises(DBTConfigurationError) as raised:
        DBTCloudPlugin("12345", SecretStr("dbtc_real"), job_ids=JOBS, cache_dir=tmp_path, **options)
    assert str(raised.value).startswith(f"{field} ")
    assert message in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_a_loopback_emulator_url_is_accepted_and_shown_without_a_slash(tmp_path: Path) -> None:
    runtime = DBTCloudPlugin(
        "12345",
        SecretStr("dbtc_real"),
        "http://127.0.0.1:8765/api/v2/",
        JOBS,
        cache_dir=tmp_path,
        discovery_url="http://127.0.0.1:8765/graphql/",
    )
    try:
        assert runtime.base_url == "http://127.0.0.1:8765/api/v2"
        assert runtime.discovery_url == "http://127.0.0.1:8765/graphql"
    finally:
        runtime.close()
