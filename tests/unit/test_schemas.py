"""manifest.yaml validation: each rule, with the exact message a user sees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from floe_core.errors import DBTConfigurationError, ManifestError, PluginLoadError
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import DataProductConfig, PlatformManifest
from floe_dbt_cloud.config import CloudRuntimeConfig
from floe_dbt_local.config import LocalRuntimeConfig

CLOUD = """\
plugins:
  dbt_runtime: cloud
  dbt_runtime_config:
    cloud:
      account_id: "12345"
      api_token_ref: "dbt-cloud-api-token"
      base_url: "https://cloud.getdbt.com/api/v2"
      job_ids:
        compile: 67890
        run: 67891
        test: 67892
      poll_interval_seconds: 5
      timeout_seconds: 3600
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(write(tmp_path, text))
    assert isinstance(excinfo.value, DBTConfigurationError)
    assert excinfo.value.__cause__ is None  # pydantic's text would echo input values
    return [str(problem) for problem in excinfo.value.problems]


def test_the_spec_example_for_cloud_loads(tmp_path: Path) -> None:
    manifest = PlatformManifest.from_yaml(write(tmp_path, CLOUD))
    cloud = PluginRegistry().runtime_config(manifest)
    assert isinstance(cloud, CloudRuntimeConfig)
    assert (cloud.account_id, cloud.job_ids.run, cloud.cache_ttl_hours) == ("12345", 67891, 24)
    assert cloud.cache_dir == Path(".floe/dbt-cloud-cache")


def test_the_spec_example_for_local_loads(tmp_path: Path) -> None:
    text = """\
    plugins:
      dbt_runtime: local
      dbt_runtime_config:
        local:
          dbt_version: "1.8.0"
          python_version: "3.11"
          parallel_execution: false
    """
    # The three settings are deprecated (read by nothing): still accepted, named in a warning.
    path = write(tmp_path, text)
    with pytest.warns(FutureWarning) as warned:
        config = PluginRegistry().runtime_config(PlatformManifest.from_yaml(path))
    assert {str(warning.message) for warning in warned} == {
        "dbt_runtime_config.local: dbt_version, python_version, parallel_execution are "
        "deprecated and read by nothing; remove them from manifest.yaml"
    }
    assert config == LocalRuntimeConfig()
    assert isinstance(config, LocalRuntimeConfig)
    assert config.lock_timeout_seconds == 3600
    assert "dbt_version" not in config.model_dump()


def test_one_deprecated_local_setting_is_named_alone() -> None:
    with pytest.warns(FutureWarning, match=r"^dbt_runtime_config.local: python_version is "):
        assert LocalRuntimeConfig.model_validate({"python_version": "3.11"}) == (
            LocalRuntimeConfig()
        )


def test_local_without_a_section_gets_defaults(tmp_path: Path) -> None:
    manifest = PlatformManifest.from_yaml(write(tmp_path, "plugins:\n  dbt_runtime: local\n"))
    assert PluginRegistry().runtime_config(manifest) == LocalRuntimeConfig()


def test_integer_account_id_is_read_as_digits(tmp_path: Path) -> None:
    manifest = PlatformManifest.from_yaml(
        write(tmp_path, CLOUD.replace('account_id: "12345"', "account_id: 12345"))
    )
    cloud = PluginRegistry().runtime_config(manifest)
    assert isinstance(cloud, CloudRuntimeConfig)
    assert cloud.account_id == "12345"


def test_unknown_runtime_names_the_installed_ones_and_the_closest(tmp_path: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PlatformManifest.from_yaml(write(tmp_path, "plugins:\n  dbt_runtime: cluod\n"))
    assert str(excinfo.value) == (
        "no dbt plugin named 'cluod' is installed (entry-point group floe.dbt); "
        "installed: cloud, fusion, local; did you mean 'cloud'?"
    )


def test_chosen_section_must_exist(tmp_path: Path) -> None:
    assert problems(tmp_path, "plugins:\n  dbt_runtime: cloud\n") == [
        "plugins (line 1): dbt_runtime is 'cloud' but dbt_runtime_config.cloud is missing; "
        "add a 'cloud:' section under dbt_runtime_config"
    ]


def test_unknown_key_names_the_closest_valid_one(tmp_path: Path) -> None:
    text = CLOUD.replace('account_id: "12345"', 'account_id: "12345"\n      acount_idd: 1')
    assert problems(tmp_path, text) == [
        "plugins.dbt_runtime_config.cloud.acount_idd (line 6): unknown key 'acount_idd'; "
        "did you mean 'account_id'?"
    ]


def test_unknown_key_without_a_close_match_lists_valid_keys(tmp_path: Path) -> None:
    text = "plugins:\n  dbt_runtime: local\n  zzz: 1\n"
    assert problems(tmp_path, text) == [
        "plugins.zzz (line 3): unknown key 'zzz'; valid keys: dbt_runtime, "
        "dbt_runtime_config, orchestrator, secrets"
    ]


def test_unknown_key_inside_job_ids(tmp_path: Path) -> None:
    text = CLOUD.replace("test: 67892", "tests: 67892")
    assert problems(tmp_path, text) == [
        "plugins.dbt_runtime_config.cloud.job_ids.test (line 8): required key 'test' is missing",
        "plugins.dbt_runtime_config.cloud.job_ids.tests (line 11): unknown key 'tests'; "
        "did you mean 'test'?",
    ]


@pytest.mark.parametrize("missing", ["account_id", "api_token_ref", "job_ids"])
def test_cloud_required_keys(tmp_path: Path, missing: str) -> None:
    lines = CLOUD.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(missing + ":"))
    end = start + (4 if missing == "job_ids" else 1)
    text = "\n".join(lines[:start] + lines[end:]) + "\n"
    assert problems(tmp_path, text) == [
        f"plugins.dbt_runtime_config.cloud.{missing} (line 4): required key '{missing}' is missing"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "poll_interval_seconds: 5",
            "poll_interval_seconds: 0",
            "plugins.dbt_runtime_config.cloud.poll_interval_seconds (line 12): "
            "Input should be greater than or equal to 0.05",
        ),
        (
            "timeout_seconds: 3600",
            "timeout_seconds: -1",
            "plugins.dbt_runtime_config.cloud.timeout_seconds (line 13): "
            "Input should be greater than 0",
        ),
        (
            "run: 67891",
            "run: 0",
            "plugins.dbt_runtime_config.cloud.job_ids.run (line 10): "
            "Input should be greater than 0",
        ),
        (
            'account_id: "12345"',
            'account_id: "acme"',
            "plugins.dbt_runtime_config.cloud.account_id (line 5): "
            "String should match pattern '^[0-9]+$'",
        ),
        (
            'base_url: "https://cloud.getdbt.com/api/v2"',
            'base_url: "http://cloud.getdbt.com/api/v2"',
            "plugins.dbt_runtime_config.cloud.base_url (line 7): must use https "
            "(plain http is only accepted for a loopback emulator)",
        ),
        (
            'base_url: "https://cloud.getdbt.com/api/v2"',
            'base_url: "cloud.getdbt.com"',
            "plugins.dbt_runtime_config.cloud.base_url (line 7): must be an absolute URL "
            "such as https://cloud.getdbt.com/api/v2",
        ),
    ],
)
def test_cloud_value_rules(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert problems(tmp_path, CLOUD.replace(old, new)) == [expected]


def test_loopback_http_is_allowed_for_the_emulator(tmp_path: Path) -> None:
    text = CLOUD.replace("https://cloud.getdbt.com/api/v2", "http://127.0.0.1:8765/api/v2/")
    cloud = PluginRegistry().runtime_config(PlatformManifest.from_yaml(write(tmp_path, text)))
    assert isinstance(cloud, CloudRuntimeConfig)
    assert cloud.base_url == "http://127.0.0.1:8765/api/v2"


SECRET = "dbtc_S3cr3tT0k3nValueThatMustNeverBePrinted"


def test_literal_token_is_refused_and_never_echoed(tmp_path: Path) -> None:
    text = CLOUD.replace('api_token_ref: "dbt-cloud-api-token"', f'api_token: "{SECRET}"')
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(write(tmp_path, text))
    assert [str(p) for p in excinfo.value.problems] == [
        "plugins.dbt_runtime_config.cloud (line 4): api_token: a literal token is not allowed "
        "in manifest.yaml; store it in the secrets backend and set api_token_ref to its "
        "reference, e.g. api_token_ref: dbt-cloud-api-token"
    ]
    assert SECRET not in str(excinfo.value)
    assert SECRET not in repr(excinfo.value)


@pytest.mark.parametrize("value", [SECRET, "a" * 40])
def test_a_token_pasted_into_the_reference_is_refused(tmp_path: Path, value: str) -> None:
    text = CLOUD.replace('"dbt-cloud-api-token"', f'"{value}"')
    found = problems(tmp_path, text)
    assert found == [
        "plugins.dbt_runtime_config.cloud.api_token_ref (line 6): this looks like a token, not "
        "a reference; store the token in the secrets backend and put its name here, "
        "e.g. dbt-cloud-api-token"
    ]
    assert value not in "".join(found)


def test_reference_with_a_path_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, CLOUD.replace('"dbt-cloud-api-token"', '"../etc/passwd"')) == [
        "plugins.dbt_runtime_config.cloud.api_token_ref (line 6): must be a secret name: "
        "letters, digits, '-', '_' or '.', e.g. dbt-cloud-api-token"
    ]


def test_local_parallel_execution_cannot_be_enabled(tmp_path: Path) -> None:
    text = """\
    plugins:
      dbt_runtime: local
      dbt_runtime_config:
        local:
          parallel_execution: true
    """
    assert problems(tmp_path, text) == [
        "plugins.dbt_runtime_config.local (line 4): parallel_execution can only be false: "
        "dbtRunner is not thread-safe (REQ-093); the setting is deprecated and read by nothing, "
        "remove it"
    ]


def test_several_problems_are_listed_in_file_order(tmp_path: Path) -> None:
    text = CLOUD.replace("poll_interval_seconds: 5", "poll_interval_seconds: 0").replace(
        'account_id: "12345"', 'account_id: "x"'
    )
    found = problems(tmp_path, text)
    assert [p.split(" ")[0] for p in found] == [
        "plugins.dbt_runtime_config.cloud.account_id",
        "plugins.dbt_runtime_config.cloud.poll_interval_seconds",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "plugins: [\n",
            # libyaml's wording follows; PyYAML's own parser words it differently.
            "(file) (line 2): invalid YAML: while parsing a flow node, ",
        ),
        ("- a\n- b\n", "(file) (line 1): must be a YAML mapping with a top-level 'plugins:' key"),
        ("", "(file) (line 1): must be a YAML mapping with a top-level 'plugins:' key"),
        ("name: x\n", "plugins (line 1): required key 'plugins' is missing"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"\(file\): cannot read: No such file or directory"):
        PlatformManifest.from_yaml(tmp_path / "absent.yaml")


@pytest.mark.parametrize("key", ["dbt_runtime", "dbt_runtime_config", "plugins"])
def test_a_data_product_cannot_choose_the_runtime(key: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        DataProductConfig.model_validate({"name": "orders", key: "cloud"})
    assert (
        f"{key}: a data product cannot choose the dbt runtime; it is a platform team decision "
        "made in the platform manifest.yaml (plugins.dbt_runtime)"
    ) in str(excinfo.value)


def test_a_data_product_cannot_choose_the_runtime_inside_dbt_either() -> None:
    with pytest.raises(ValidationError, match="platform team decision"):
        DataProductConfig.model_validate({"name": "orders", "dbt": {"dbt_runtime": "local"}})
    config = DataProductConfig.model_validate({"name": "orders", "dbt": {"target": "prod"}})
    assert config.dbt.target == "prod"
