"""`floe validate`: the file, then the runtime's prerequisites, each problem with its line."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from click.testing import CliRunner
from vendor_distribution import ACME

from floe_core.cli import check_manifest, main
from floe_core.plugin_registry import PluginRegistry

CLOUD = textwrap.dedent(
    """\
    plugins:
      dbt_runtime: cloud
      dbt_runtime_config:
        cloud:
          account_id: "1"
          api_token_ref: dbt-cloud-api-token
          job_ids: {compile: 1, run: 2, test: 3}
    """
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return path


def test_valid_local_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["validate", str(write(tmp_path, "plugins:\n  dbt_runtime: local\n"))]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"{tmp_path / 'manifest.yaml'}: valid (dbt runtime: local)\n"


def test_invalid_manifest_lists_problems_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "plugins:\n  dbt_runtime: local\n  dbt_runtimes: x\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"{path}: 1 problem(s)\n"
        "  - plugins.dbt_runtimes (line 3): unknown key 'dbt_runtimes'; "
        "did you mean 'dbt_runtime'?\n"
    )


def test_cloud_secret_must_be_resolvable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", raising=False)
    path = write(tmp_path, CLOUD)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert (
        "  - plugins.dbt_runtime_config.cloud.api_token_ref (line 6): secret "
        "'dbt-cloud-api-token' not found: environment variable FLOE_SECRET_DBT_CLOUD_API_TOKEN "
        "is not set" in result.output
    )
    monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", "tok")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert "tok" not in result.output
    assert result.exit_code == 0, result.output


def test_runtime_plugin_must_be_installed(tmp_path: Path) -> None:
    registry = PluginRegistry(
        lambda group: (
            [EntryPoint("env", "floe_core.secrets:EnvSecretsPlugin", group)]
            if group == "floe.secrets"
            else []
        )
    )
    problems = check_manifest(write(tmp_path, "plugins:\n  dbt_runtime: local\n"), registry)
    assert [str(p) for p in problems] == [
        "plugins.dbt_runtime (line 2): no dbt plugin named 'local' is installed "
        "(entry-point group floe.dbt); installed: none"
    ]


def test_secrets_backend_must_be_usable(tmp_path: Path) -> None:
    text = "plugins:\n  dbt_runtime: local\n  secrets:\n    type: vault\n"
    problems = check_manifest(write(tmp_path, text), PluginRegistry())
    assert [str(p) for p in problems] == [
        "plugins.secrets.type (line 4): secrets backend unusable: no secrets plugin named "
        "'vault' is installed (entry-point group floe.secrets); installed: env, file"
    ]


def test_secrets_backend_with_wrong_options(tmp_path: Path) -> None:
    text = "plugins:\n  dbt_runtime: local\n  secrets:\n    type: env\n    config: {bogus: 1}\n"
    problems = check_manifest(write(tmp_path, text), PluginRegistry())
    assert [str(p) for p in problems] == [
        "plugins.secrets.config.bogus (line 5): unknown key 'bogus'; valid keys: prefix"
    ]


def test_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "(file): cannot read: No such file or directory" in result.output


def test_a_typo_in_the_runtime_lists_what_is_installed(tmp_path: Path) -> None:
    path = write(tmp_path, "plugins:\n  dbt_runtime: lcoal\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"{path}: 1 problem(s)\n"
        "  - plugins.dbt_runtime (line 2): no dbt plugin named 'lcoal' is installed "
        "(entry-point group floe.dbt); installed: cloud, fusion, local; did you mean 'local'?\n"
    )


def test_a_vendor_runtime_is_validated_with_its_own_model_and_secrets(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOE_SECRET_ACME_API_KEY", raising=False)
    path = write(acme_dist, ACME)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"{path}: 1 problem(s)\n"
        "  - plugins.dbt_runtime_config.acme.api_key_ref (line 6): secret 'acme-api-key' not "
        "found: environment variable FLOE_SECRET_ACME_API_KEY is not set (set it, or configure "
        "another secrets backend)\n"
    )
    monkeypatch.setenv("FLOE_SECRET_ACME_API_KEY", "k")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert (result.exit_code, result.output) == (0, f"{path}: valid (dbt runtime: acme)\n")


def test_every_problem_at_once(acme_dist: Path) -> None:
    text = (
        ACME.replace("region: eu-west", "regoin: eu-west")
        + "    acmee: {}\n  secrets:\n    type: env\n    config: {prefixx: X}\n"
    )
    problems = check_manifest(write(acme_dist, text), PluginRegistry())
    assert [str(p) for p in problems] == [
        "plugins.dbt_runtime_config.acme.region (line 4): required key 'region' is missing",
        "plugins.dbt_runtime_config.acme.regoin (line 5): unknown key 'regoin'; "
        "did you mean 'region'?",
        "plugins.dbt_runtime_config.acmee (line 7): no dbt runtime of this name is installed; "
        "did you mean 'acme'? installed: acme, broken, cloud, defaults, fusion, local, "
        "placeholder, plain, shattered, wrong_type",
        "plugins.secrets.config.prefixx (line 10): unknown key 'prefixx'; did you mean 'prefix'?",
    ]
