"""The env and file secret backends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_core.secrets import EnvSecretsPlugin, FileSecretsPlugin, validate_secret_ref

VALUE = "s3cr3t-value-0123456789"


def test_env_maps_the_reference_to_a_variable() -> None:
    plugin = EnvSecretsPlugin(environ={"FLOE_SECRET_DBT_CLOUD_API_TOKEN": VALUE})
    assert plugin.variable_name("dbt-cloud-api-token") == "FLOE_SECRET_DBT_CLOUD_API_TOKEN"
    assert plugin.variable_name("team.dbt_token") == "FLOE_SECRET_TEAM_DBT_TOKEN"
    secret = plugin.get_secret("dbt-cloud-api-token")
    assert isinstance(secret, SecretStr)
    assert secret.get_secret_value() == VALUE
    assert VALUE not in repr(secret)
    assert VALUE not in str(secret)


def test_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_SECRET_X", VALUE)
    assert EnvSecretsPlugin().get_secret("x").get_secret_value() == VALUE
    assert repr(EnvSecretsPlugin()) == "EnvSecretsPlugin(prefix='FLOE_SECRET_')"


@pytest.mark.parametrize("environ", [{}, {"FLOE_SECRET_DBT_CLOUD_API_TOKEN": ""}])
def test_env_missing_names_the_ref_and_the_variable(environ: dict[str, str]) -> None:
    with pytest.raises(DBTConfigurationError) as excinfo:
        EnvSecretsPlugin(environ=environ).get_secret("dbt-cloud-api-token")
    assert str(excinfo.value) == (
        "secret 'dbt-cloud-api-token' not found: environment variable "
        "FLOE_SECRET_DBT_CLOUD_API_TOKEN is not set (set it, or configure another secrets backend)"
    )


def test_file_backend_reads_one_file_per_reference(tmp_path: Path) -> None:
    (tmp_path / "dbt-cloud-api-token").write_text(VALUE + "\n")
    plugin = FileSecretsPlugin(tmp_path)
    assert plugin.get_secret("dbt-cloud-api-token").get_secret_value() == VALUE
    assert VALUE not in repr(plugin)
    assert FileSecretsPlugin().directory == Path("/var/run/secrets/floe")


def test_file_backend_missing_and_empty(tmp_path: Path) -> None:
    plugin = FileSecretsPlugin(tmp_path)
    with pytest.raises(DBTConfigurationError) as excinfo:
        plugin.get_secret("absent")
    assert str(excinfo.value) == (
        f"secret 'absent' not found: cannot read {tmp_path / 'absent'} (No such file or "
        "directory); mount the secret there or configure another secrets backend"
    )
    assert excinfo.value.__cause__ is None
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(DBTConfigurationError, match=r"secret 'empty' is empty: .*empty has no"):
        plugin.get_secret("empty")


@pytest.mark.parametrize("ref", ["../etc/passwd", "a/b", "", "..", ".hidden", "x-" * 127])
def test_references_that_are_not_names_are_refused(tmp_path: Path, ref: str) -> None:
    with pytest.raises(DBTConfigurationError, match="is not a valid name"):
        FileSecretsPlugin(tmp_path).get_secret(ref)
    with pytest.raises(DBTConfigurationError, match="is not a valid name"):
        EnvSecretsPlugin(environ=dict(os.environ)).get_secret(ref)


def test_valid_reference_passes_through() -> None:
    assert validate_secret_ref("dbt-cloud-api-token") == "dbt-cloud-api-token"
