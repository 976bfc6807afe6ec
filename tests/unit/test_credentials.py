"""What floe never echoes: text that looks like a credential rather than a name."""

from __future__ import annotations

import pytest

from floe_core._credentials import looks_like_credential, shown


@pytest.mark.parametrize(
    "text",
    [
        "dbtc_short",  # dbt Cloud service token prefix
        "dbtu_x",
        "dbtp_x",
        "ghp_abc",
        "AKIAIOSFODNN7EXAMPLE",
        "3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b",  # a UUID
        "Xk29-pQ7w-Lm3z-8RtY-v5Nc-J1hD",  # random, with dashes
        "a" * 32,  # a long run, whatever its letters
        "abcdefghijklmnopqrst1234",  # 24 letters and digits, high entropy
    ],
)
def test_credentials(text: str) -> None:
    assert looks_like_credential(text)
    assert text not in shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "dbt-cloud-api-token",
        "warehouse-password",
        "team-42-prod-dbt-token-2024",
        "snowflake_prod_2023",
        "k8s-secret-01",
        "dbt_runtime_config",
        "FLOE_SECRET_DBT_CLOUD_API_TOKEN",
        "aaaaaaaaaaaaaaaaaaaa1111",  # long but low entropy
    ],
)
def test_names(text: str) -> None:
    assert not looks_like_credential(text)
    assert shown(text) == repr(text)


def test_shown_shortens_and_hides_control_characters() -> None:
    long_name = "very-long-name-" * 6
    assert shown(long_name) == repr(long_name[:57] + "...")
    assert shown("a\nb", what="key") == "(a key with control characters, not shown)"
    assert shown("dbtc_abc", what="name") == "(a name that looks like a credential, not shown)"
