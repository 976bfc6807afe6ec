"""PluginRegistry over real entry points: a test distribution is put on sys.path."""

from __future__ import annotations

import logging
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_registry import FUSION_WARNING, PluginLoadError, PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_core.secrets import EnvSecretsPlugin, FileSecretsPlugin

MODULE = """
from typing import Any
from floe_core.plugin_interfaces import DBTPlugin

class AcmePlugin(DBTPlugin):
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
    def compile_project(self, project_dir, profiles_dir, target):
        raise NotImplementedError
    run_models = run_tests = get_manifest = get_run_results = compile_project
    def supports_parallel_execution(self) -> bool:
        return True
    def get_runtime_metadata(self) -> dict:
        return {"type": "acme"}

class RecordingCloud(AcmePlugin):
    @classmethod
    def from_config(cls, config, secrets, **options):
        return cls(config=config, token=secrets.get_secret(config.api_token_ref), **options)

class NotAPlugin:
    pass
"""


@pytest.fixture
def acme_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution `acme-floe` with floe.dbt entry points, found by importlib."""
    (tmp_path / "acme_floe.py").write_text(MODULE)
    dist_info = tmp_path / "acme_floe-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-floe\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [floe.dbt]
            acme = acme_floe:AcmePlugin
            broken = acme_floe_missing_dependency:Plugin
            wrong_type = acme_floe:NotAPlugin
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_discovers_installed_and_test_distributions(acme_dist: Path) -> None:
    names = PluginRegistry().names("dbt")
    assert {"acme", "broken", "wrong_type", "local", "cloud", "fusion"} <= set(names)
    assert names == sorted(names)
    assert PluginRegistry().names("secrets") == ["env", "file"]
    assert "dagster" in PluginRegistry().names("orchestrator")


def test_get_plugin_builds_with_kwargs(acme_dist: Path) -> None:
    plugin = PluginRegistry().get_plugin("dbt", "acme", color="blue")
    assert type(plugin).__name__ == "AcmePlugin"
    assert plugin.kwargs == {"color": "blue"}
    assert plugin.get_runtime_metadata() == {"type": "acme"}


def test_unknown_name_lists_the_installed_ones(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", "acne")
    message = str(excinfo.value)
    assert message.startswith(
        "no dbt plugin named 'acne' is installed (entry-point group floe.dbt); installed: "
    )
    assert "acme, broken, cloud, fusion, local, wrong_type" in message
    assert isinstance(excinfo.value, DBTConfigurationError)


def test_a_plugin_that_fails_to_import(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", "broken")
    assert str(excinfo.value) == (
        "dbt plugin 'broken' (acme_floe_missing_dependency:Plugin) failed to load: "
        "ModuleNotFoundError: No module named 'acme_floe_missing_dependency'; is its dependency "
        "'acme_floe_missing_dependency' installed? (e.g. pip install 'floe-dbt[broken]')"
    )
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_a_plugin_of_the_wrong_type(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError, match=r"'wrong_type' .* is not a subclass of DBTPlugin"):
        PluginRegistry().load_class("dbt", "wrong_type")


def test_a_plugin_that_raises_something_else() -> None:
    def source(group: str) -> list[EntryPoint]:
        return [EntryPoint("odd", "json:loads", group)]

    with pytest.raises(PluginLoadError, match="is not a subclass of DBTPlugin"):
        PluginRegistry(source).load_class("dbt", "odd")


def test_unknown_kind() -> None:
    with pytest.raises(PluginLoadError, match="unknown plugin kind 'dbtt'; known kinds: dbt, "):
        PluginRegistry().names("dbtt")  # type: ignore[arg-type]


def test_fusion_warning_is_logged_once_per_process(caplog: pytest.LogCaptureFixture) -> None:
    from floe_core import plugin_registry

    plugin_registry._warn_fusion_discovered.cache_clear()
    caplog.set_level(logging.WARNING, logger="floe_core.plugin_registry")
    registry = PluginRegistry()
    registry.names("dbt")
    registry.names("dbt")
    PluginRegistry().names("secrets")
    warnings = [r for r in caplog.records if r.getMessage() == FUSION_WARNING]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert FUSION_WARNING == "DBTFusionPlugin not yet implemented. Use 'local' or 'cloud' runtime."


def test_no_fusion_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    from floe_core import plugin_registry

    plugin_registry._warn_fusion_discovered.cache_clear()
    caplog.set_level(logging.WARNING)
    PluginRegistry(lambda group: [EntryPoint("local", "x:y", group)]).names("dbt")
    assert FUSION_WARNING not in caplog.text


def cloud_manifest(tmp_path: Path, secrets: str = "") -> PlatformManifest:
    path = tmp_path / "manifest.yaml"
    path.write_text(
        textwrap.dedent(
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
        + secrets
    )
    return PlatformManifest.from_yaml(path)


def recording_registry(acme_dist: Path) -> PluginRegistry:
    def source(group: str) -> list[EntryPoint]:
        if group == "floe.dbt":
            return [EntryPoint("cloud", "acme_floe:RecordingCloud", group)]
        return [
            EntryPoint("env", "floe_core.secrets:EnvSecretsPlugin", group),
            EntryPoint("file", "floe_core.secrets:FileSecretsPlugin", group),
        ]

    return PluginRegistry(source)


def test_create_dbt_runtime_resolves_the_token_reference(
    acme_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", "tok-123")
    runtime = recording_registry(acme_dist).create_dbt_runtime(
        cloud_manifest(tmp_path), no_cache=True
    )
    assert runtime.kwargs["token"] == SecretStr("tok-123")
    assert runtime.kwargs["config"].job_ids.run == 2
    assert runtime.kwargs["no_cache"] is True


def test_create_dbt_runtime_with_the_file_backend(acme_dist: Path, tmp_path: Path) -> None:
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    (mounted / "dbt-cloud-api-token").write_text("from-file\n")
    manifest = cloud_manifest(
        tmp_path, f"  secrets:\n    type: file\n    config:\n      directory: {mounted}\n"
    )
    registry = recording_registry(acme_dist)
    assert isinstance(registry.create_secrets(manifest), FileSecretsPlugin)
    runtime = registry.create_dbt_runtime(manifest)
    assert runtime.kwargs["token"].get_secret_value() == "from-file"


def test_create_dbt_runtime_with_an_explicit_backend(acme_dist: Path, tmp_path: Path) -> None:
    secrets = EnvSecretsPlugin(environ={"FLOE_SECRET_DBT_CLOUD_API_TOKEN": "explicit"})
    runtime = recording_registry(acme_dist).create_dbt_runtime(cloud_manifest(tmp_path), secrets)
    assert runtime.kwargs["token"].get_secret_value() == "explicit"


def test_create_dbt_runtime_missing_secret(
    acme_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", raising=False)
    with pytest.raises(
        DBTConfigurationError,
        match="secret 'dbt-cloud-api-token' not found: environment variable "
        "FLOE_SECRET_DBT_CLOUD_API_TOKEN is not set",
    ):
        recording_registry(acme_dist).create_dbt_runtime(cloud_manifest(tmp_path))
