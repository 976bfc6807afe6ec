"""PluginRegistry over real entry points: a vendor's distribution is put on sys.path.

The ``acme-floe`` distribution below is what a vendor ships: runtimes under
``floe.dbt``, each declaring its own configuration model. Nothing in
``floe_core`` knows their names; selecting and validating them must work
exactly as for the reference runtimes.
"""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import SecretStr
from vendor_distribution import ACME

from floe_core import plugin_registry
from floe_core.errors import DBTConfigurationError, ManifestError, PluginLoadError
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest
from floe_core.secrets import EnvSecretsPlugin, FileSecretsPlugin


def write(directory: Path, text: str, name: str = "manifest.yaml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    return [str(problem) for problem in excinfo.value.problems]


# -- discovery and loading ------------------------------------------------------


def test_discovers_installed_and_test_distributions(acme_dist: Path) -> None:
    names = PluginRegistry().names("dbt")
    assert {"acme", "plain", "broken", "wrong_type", "local", "cloud", "fusion"} <= set(names)
    assert names == sorted(names)
    assert PluginRegistry().names("secrets") == ["env", "file"]
    assert "dagster" in PluginRegistry().names("orchestrator")


def test_get_plugin_builds_with_kwargs(acme_dist: Path) -> None:
    plugin = PluginRegistry().get_plugin("dbt", "acme", color="blue")
    assert type(plugin).__name__ == "AcmePlugin"
    assert plugin.kwargs == {"color": "blue"}
    assert plugin.get_runtime_metadata() == {"type": "acme"}


def test_unknown_name_lists_the_installed_ones_and_the_closest(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", "acne")
    message = str(excinfo.value)
    assert message.startswith(
        "no dbt plugin named 'acne' is installed (entry-point group floe.dbt); installed: "
    )
    assert "acme, broken, cloud, defaults, fusion, local, placeholder, plain, shattered" in message
    assert message.endswith("; did you mean 'acme'?")
    assert isinstance(excinfo.value, DBTConfigurationError)


def test_a_name_that_looks_like_a_token_is_not_echoed(acme_dist: Path) -> None:
    token = "dbtc_Zq8v1XwLr5PkNd2Hs7TfYb3Jm9Gc4Ae6"
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", token)
    assert token not in str(excinfo.value)
    assert "(a name that looks like a credential, not shown)" in str(excinfo.value)


def test_a_plugin_that_fails_to_import_names_the_extra_to_install(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", "broken")
    assert str(excinfo.value) == (
        "dbt plugin 'broken' (acme_floe_missing_dependency:Plugin) failed to load: "
        "ModuleNotFoundError: No module named 'acme_floe_missing_dependency'; is its dependency "
        "'acme_floe_missing_dependency' installed? (e.g. pip install 'acme-floe[broken]')"
    )
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_a_plugin_without_an_extra_names_its_distribution(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry().load_class("dbt", "shattered")
    assert str(excinfo.value).endswith(
        "installed? (e.g. pip install --force-reinstall 'acme-floe')"
    )


def test_a_plugin_of_the_wrong_type(acme_dist: Path) -> None:
    with pytest.raises(PluginLoadError, match=r"'wrong_type' .* is not a subclass of DBTPlugin"):
        PluginRegistry().load_class("dbt", "wrong_type")


def test_a_plugin_that_raises_something_else() -> None:
    def source(group: str) -> list[EntryPoint]:
        return [EntryPoint("odd", "json:loads", group)]

    with pytest.raises(PluginLoadError, match="is not a subclass of DBTPlugin"):
        PluginRegistry(source).load_class("dbt", "odd")


def test_an_import_error_of_an_entry_point_without_distribution() -> None:
    def source(group: str) -> list[EntryPoint]:
        return [EntryPoint("gone", "acme_floe_nowhere:Plugin", group)]

    with pytest.raises(PluginLoadError) as excinfo:
        PluginRegistry(source).load_class("dbt", "gone")
    assert str(excinfo.value).endswith("(e.g. pip install acme_floe_nowhere)")


def test_unknown_kind() -> None:
    with pytest.raises(PluginLoadError, match="unknown plugin kind 'dbtt'; known kinds: dbt, "):
        PluginRegistry().names("dbtt")  # type: ignore[arg-type]


def test_a_discovery_warning_is_logged_once_per_process(
    acme_dist: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugin_registry._warn_once.cache_clear()
    caplog.set_level(logging.WARNING, logger="floe_core.plugin_registry")
    registry = PluginRegistry()
    registry.names("dbt")
    assert not caplog.records  # listing imports nothing, so it cannot know
    registry.load_class("dbt", "placeholder")
    PluginRegistry().get_plugin("dbt", "placeholder")
    registry.load_class("dbt", "plain")
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["PlaceholderPlugin not yet implemented. Use another runtime."]
    assert caplog.records[0].levelno == logging.WARNING


# -- a vendor's runtime, selected and validated by its own model ----------------


def test_a_vendor_runtime_is_selected_and_built_from_its_section(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_SECRET_ACME_API_KEY", "key-123")
    registry = PluginRegistry()
    manifest = PlatformManifest.from_yaml(write(acme_dist, ACME))
    runtime = registry.create_dbt_runtime(manifest, no_cache=True)
    assert type(runtime).__name__ == "AcmePlugin"
    config = runtime.kwargs["config"]
    assert type(config).__name__ == "AcmeConfig"
    assert (config.region, config.timeout_seconds) == ("eu-west", 600)
    assert runtime.kwargs["key"] == SecretStr("key-123")
    assert runtime.kwargs["no_cache"] is True


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("      region: eu-west\n", "      regoin: eu-west\n"),
            [
                "plugins.dbt_runtime_config.acme.region (line 4): required key 'region' is missing",
                "plugins.dbt_runtime_config.acme.regoin (line 5): unknown key 'regoin'; "
                "did you mean 'region'?",
            ],
        ),
        (
            ("api_key_ref: acme-api-key", "api_key: s3cr3t-value"),
            [
                "plugins.dbt_runtime_config.acme (line 4): api_key: a literal secret is not "
                "allowed in manifest.yaml; store it in the secrets backend and set api_key_ref "
                "to its reference, e.g. api_key_ref: my-secret"
            ],
        ),
        (
            ("api_key_ref: acme-api-key", "api_key_ref: a1B2c3D4e5F6g7H8i9J0kLmN"),
            [
                "plugins.dbt_runtime_config.acme.api_key_ref (line 6): this looks like a "
                "secret, not a reference; store the secret in the secrets backend and put its "
                "name here, e.g. my-secret"
            ],
        ),
        (
            ("      region: eu-west\n", "      region: eu-west\n      timeout_seconds: .inf\n"),
            [
                "plugins.dbt_runtime_config.acme.timeout_seconds (line 6): "
                "Input should be a finite number"
            ],
        ),
        (
            ("      region: eu-west\n", "      region: eu-west\n      timeout_seconds: 1e12\n"),
            [
                "plugins.dbt_runtime_config.acme.timeout_seconds (line 6): "
                "Input should be less than or equal to 86400"
            ],
        ),
    ],
)
def test_a_vendor_section_is_validated_by_its_model(
    acme_dist: Path, change: tuple[str, str], expected: list[str]
) -> None:
    assert problems(write(acme_dist, ACME.replace(*change))) == expected


def test_a_required_section_must_exist(acme_dist: Path) -> None:
    assert problems(write(acme_dist, "plugins:\n  dbt_runtime: acme\n")) == [
        "plugins (line 1): dbt_runtime is 'acme' but dbt_runtime_config.acme is missing; "
        "add a 'acme:' section under dbt_runtime_config"
    ]


def test_a_section_with_defaults_is_optional(acme_dist: Path) -> None:
    manifest = PlatformManifest.from_yaml(write(acme_dist, "plugins:\n  dbt_runtime: defaults\n"))
    runtime = PluginRegistry().create_dbt_runtime(manifest)
    assert runtime.kwargs["config"].region == "eu"
    assert isinstance(runtime.kwargs["secrets"], EnvSecretsPlugin)


def test_a_runtime_without_a_model_takes_no_settings(acme_dist: Path) -> None:
    text = "plugins:\n  dbt_runtime: plain\n  dbt_runtime_config:\n    plain: {color: blue}\n"
    assert problems(write(acme_dist, text)) == [
        "plugins.dbt_runtime_config.plain (line 4): the 'plain' runtime takes no settings; "
        "remove them or leave the section empty"
    ]
    for section in (
        "  dbt_runtime_config:\n    plain:\n",
        "  dbt_runtime_config: {plain: {}}\n",
        "",
    ):
        text = "plugins:\n  dbt_runtime: plain\n" + section
        manifest = PlatformManifest.from_yaml(write(acme_dist, text))
        runtime = PluginRegistry().create_dbt_runtime(manifest)
        assert (type(runtime).__name__, runtime.kwargs) == ("PlainPlugin", {})


def test_a_section_for_a_runtime_that_is_not_installed(acme_dist: Path) -> None:
    text = ACME + "    acmee: {region: x}\n"
    assert problems(write(acme_dist, text)) == [
        "plugins.dbt_runtime_config.acmee (line 7): no dbt runtime of this name is installed; "
        "did you mean 'acme'? installed: acme, broken, cloud, defaults, fusion, local, "
        "placeholder, plain, shattered, wrong_type"
    ]


def test_a_manifest_built_in_code_is_validated_when_the_runtime_is_built(
    acme_dist: Path,
) -> None:
    manifest = PlatformManifest.model_validate(
        {"plugins": {"dbt_runtime": "acme", "dbt_runtime_config": {"acme": {"region": 1}}}}
    )
    with pytest.raises(ManifestError) as excinfo:
        PluginRegistry().create_dbt_runtime(manifest)
    assert [str(p) for p in excinfo.value.problems] == [
        "plugins.dbt_runtime_config.acme.api_key_ref: required key 'api_key_ref' is missing",
        "plugins.dbt_runtime_config.acme.region: Input should be a valid string",
    ]
    assert str(excinfo.value.path) == "(manifest given in code)"


# -- a runtime built with no arguments reads the environment's manifest ---------


def test_get_plugin_without_arguments_reads_floe_manifest(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = acme_dist / "platform"
    elsewhere.mkdir()
    monkeypatch.setenv("FLOE_MANIFEST", str(write(elsewhere, ACME)))
    monkeypatch.setenv("FLOE_SECRET_ACME_API_KEY", "from-env")
    runtime = PluginRegistry().get_plugin("dbt", "acme")
    assert runtime.kwargs["config"].region == "eu-west"
    assert runtime.kwargs["key"].get_secret_value() == "from-env"


def test_get_plugin_without_arguments_reads_the_manifest_here(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mounted = acme_dist / "mounted"
    mounted.mkdir()
    (mounted / "acme-api-key").write_text("from-file\n")
    mounted.joinpath("acme-api-key").chmod(0o600)
    secrets = f"  secrets:\n    type: file\n    config:\n      directory: {mounted}\n"
    write(acme_dist, ACME + secrets)
    runtime = PluginRegistry().get_plugin("dbt", "acme")
    assert runtime.kwargs["key"].get_secret_value() == "from-file"
    # Another runtime than the chosen one is built from its own section (here: none).
    assert PluginRegistry().get_plugin("dbt", "defaults").kwargs["config"].region == "eu"


def test_get_plugin_without_arguments_and_without_a_manifest(acme_dist: Path) -> None:
    with pytest.raises(DBTConfigurationError) as excinfo:
        PluginRegistry().get_plugin("dbt", "acme")
    assert str(excinfo.value) == (
        "the dbt runtime 'acme' cannot be built with no arguments: it needs a "
        "dbt_runtime_config.acme section (required: region, api_key_ref) and no platform "
        "manifest was found ($FLOE_MANIFEST is not set and there is no ./manifest.yaml). "
        "Point $FLOE_MANIFEST at a manifest.yaml with that section, pass the constructor's "
        "arguments (get_plugin('dbt', 'acme', ...)), or use create_dbt_runtime(manifest)"
    )
    plain = PluginRegistry().get_plugin("dbt", "plain")
    assert type(plain).__name__ == "PlainPlugin"


def test_get_plugin_when_the_manifest_lacks_the_section(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(acme_dist, "plugins:\n  dbt_runtime: plain\n", name="platform.yaml")
    monkeypatch.setenv("FLOE_MANIFEST", str(path))
    with pytest.raises(DBTConfigurationError, match=rf"and {path} has none\. Point"):
        PluginRegistry().get_plugin("dbt", "acme")
    monkeypatch.setenv("FLOE_MANIFEST", str(acme_dist / "absent.yaml"))
    with pytest.raises(DBTConfigurationError, match=r"which does not exist; point it at"):
        PluginRegistry().get_plugin("dbt", "acme")


# -- secrets backends -------------------------------------------------------------


def test_create_secrets_with_the_file_backend(acme_dist: Path) -> None:
    text = ACME + "  secrets:\n    type: file\n    config:\n      directory: /mnt/s\n"
    backend = PluginRegistry().create_secrets(PlatformManifest.from_yaml(write(acme_dist, text)))
    assert isinstance(backend, FileSecretsPlugin)
    assert backend.directory == Path("/mnt/s")


def test_create_dbt_runtime_with_an_explicit_backend(acme_dist: Path) -> None:
    secrets = EnvSecretsPlugin(environ={"FLOE_SECRET_ACME_API_KEY": "explicit"})
    manifest = PlatformManifest.from_yaml(write(acme_dist, ACME))
    runtime = PluginRegistry().create_dbt_runtime(manifest, secrets)
    assert runtime.kwargs["key"].get_secret_value() == "explicit"


def test_create_dbt_runtime_missing_secret(
    acme_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOE_SECRET_ACME_API_KEY", raising=False)
    manifest = PlatformManifest.from_yaml(write(acme_dist, ACME))
    with pytest.raises(
        DBTConfigurationError,
        match="secret 'acme-api-key' not found: environment variable "
        "FLOE_SECRET_ACME_API_KEY is not set",
    ):
        PluginRegistry().create_dbt_runtime(manifest)


def test_a_secrets_backend_without_a_model_gets_its_settings_as_arguments() -> None:
    def source(group: str) -> list[EntryPoint]:
        if group == "floe.secrets":
            return [EntryPoint("vault", "floe_core.secrets:EnvSecretsPlugin", group)]
        return []

    class Unmodelled(EnvSecretsPlugin):
        config_model = None

    registry = PluginRegistry(source)
    registry.load_class = lambda kind, name: Unmodelled  # type: ignore[method-assign]
    manifest = PlatformManifest.model_validate(
        {"plugins": {"dbt_runtime": "x", "secrets": {"type": "vault", "config": {"prefix": "V_"}}}}
    )
    assert repr(registry.create_secrets(manifest)) == "EnvSecretsPlugin(prefix='V_')"
    bad = PlatformManifest.model_validate(
        {"plugins": {"dbt_runtime": "x", "secrets": {"type": "vault", "config": {"nope": 1}}}}
    )
    with pytest.raises(ManifestError, match=r"secrets backend 'vault' refused its settings"):
        registry.create_secrets(bad)
