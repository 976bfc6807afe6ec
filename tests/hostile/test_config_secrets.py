"""Secrets in the wrong place are never echoed (issue: hardening, row 9; row 8 for secret files).

Reproduced before the fix: a token pasted into ``api_token_ref`` came back
inside the suggested environment-variable name; a token used as a YAML key
was quoted as an "unknown key"; a token in ``base_url``'s userinfo was
accepted (and then shown in ``repr``, metadata and errors). A secret file
readable by other users was used silently; a UTF-16 secret file, or a FIFO,
gave a traceback or blocked.
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

import pytest
from config_manifests import CLOUD, validate_refuses, write

from floe_core.errors import DBTConfigurationError, ManifestError, PluginLoadError
from floe_core.schemas import PlatformManifest
from floe_core.secrets import EnvSecretsPlugin, FileSecretsPlugin

pytestmark = pytest.mark.timeout(60)

# Canaries shaped like real credentials: a dbt Cloud service token, a UUID
# token, and a long random one with dashes (which the old check let through).
TOKENS = [
    "dbtc_Zq8v1XwLr5PkNd2Hs7TfYb3Jm9Gc4Ae6",
    "3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b",
    "Xk29-pQ7w-Lm3z-8RtY-v5Nc-J1hD",
]


def assert_not_echoed(token: str, *texts: str) -> None:
    upper = token.upper().replace("-", "_")
    for text in texts:
        assert token not in text
        assert upper not in text  # the environment-variable spelling of it


@pytest.mark.parametrize("token", TOKENS)
def test_a_token_pasted_into_the_reference_is_refused_and_not_echoed(
    tmp_path: Path, token: str
) -> None:
    path = write(tmp_path, CLOUD.replace("dbt-cloud-api-token", token))
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert [str(p) for p in excinfo.value.problems] == [
        "plugins.dbt_runtime_config.cloud.api_token_ref (line 6): this looks like a token, not "
        "a reference; store the token in the secrets backend and put its name here, "
        "e.g. dbt-cloud-api-token"
    ]
    assert_not_echoed(token, str(excinfo.value), repr(excinfo.value), validate_refuses(path))


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("backend", [EnvSecretsPlugin(environ={}), FileSecretsPlugin("/nowhere")])
def test_a_backend_asked_for_a_token_does_not_repeat_it(backend: object, token: str) -> None:
    with pytest.raises(DBTConfigurationError) as excinfo:
        backend.get_secret(token)  # type: ignore[attr-defined]
    assert str(excinfo.value) == (
        "a secret reference looks like a credential, not a name (not shown); store the value "
        "in the secrets backend and refer to it by name, e.g. 'warehouse-password'"
    )
    assert_not_echoed(token, str(excinfo.value))


@pytest.mark.parametrize("token", TOKENS)
def test_a_token_used_as_a_key_is_not_echoed(tmp_path: Path, token: str) -> None:
    text = CLOUD + f"      {token}: 1\n"
    path = write(tmp_path, text)
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    (problem,) = excinfo.value.problems
    assert problem.location == "plugins.dbt_runtime_config.cloud.<key not shown>"
    assert problem.message.startswith(
        "unknown key (a key that looks like a credential, not shown); valid keys: account_id, "
    )
    assert_not_echoed(token, str(excinfo.value), validate_refuses(path))


def test_a_token_given_twice_as_a_key_is_not_echoed(tmp_path: Path) -> None:
    token = TOKENS[0]
    path = write(tmp_path, f"plugins:\n  dbt_runtime: local\n  {token}: 1\n  {token}: 2\n")
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert [str(p) for p in excinfo.value.problems] == [
        "plugins.<key not shown> (line 4): key (a key that looks like a credential, not shown) "
        "is given twice (first on line 3); YAML would keep only the last one: remove one of them"
    ]


@pytest.mark.parametrize("token", TOKENS)
def test_a_token_used_as_a_runtime_or_section_name_is_not_echoed(
    tmp_path: Path, token: str
) -> None:
    path = write(tmp_path, f"plugins:\n  dbt_runtime: {token}\n")
    assert_not_echoed(token, validate_refuses(path))
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert [str(p) for p in excinfo.value.problems] == [
        "plugins.dbt_runtime (line 2): this looks like a credential, not a dbt runtime name; "
        "name an installed dbt runtime (floe validate lists them)"
    ]
    path = write(tmp_path, CLOUD + f"    {token}: {{}}\n")
    assert_not_echoed(token, validate_refuses(path))


@pytest.mark.parametrize("key", ["base_url", "discovery_url"])
@pytest.mark.parametrize("token", TOKENS)
def test_credentials_in_a_url_are_refused_and_not_echoed(
    tmp_path: Path, key: str, token: str
) -> None:
    path = write(tmp_path, CLOUD + f"      {key}: https://user:{token}@emea.dbt.com/api/v2\n")
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert [str(p) for p in excinfo.value.problems] == [
        f"plugins.dbt_runtime_config.cloud.{key} (line 8): must not carry credentials "
        "(user:token@ before the host); store the token in the secrets backend and set "
        "api_token_ref to its reference"
    ]
    assert_not_echoed(token, str(excinfo.value), validate_refuses(path))


def test_a_secret_file_other_users_can_read_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "warehouse-password"
    secret.write_text("s3cr3t\n")
    secret.chmod(0o600)
    backend = FileSecretsPlugin(tmp_path)
    with caplog.at_level(logging.WARNING, logger="floe_core.secrets"):
        assert backend.get_secret("warehouse-password").get_secret_value() == "s3cr3t"
        assert caplog.records == []
        secret.chmod(0o644)
        assert backend.get_secret("warehouse-password").get_secret_value() == "s3cr3t"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"secret file {secret} can be read by other users (mode 0644); restrict it to its "
        "owner: chmod 600, or defaultMode: 0400 on a Kubernetes Secret volume"
    )
    assert "s3cr3t" not in caplog.text


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda path: path.write_bytes("s3cr3t\n".encode("utf-16")),
            "is UTF-16 text; save it as UTF-8",
        ),
        (
            lambda path: path.write_bytes(b"s3cr\xe9t\n"),
            "is not UTF-8 text (byte 4 cannot be decoded); save it as UTF-8",
        ),
        (
            lambda path: os.mkfifo(path),
            "is a FIFO (named pipe), not a regular file; give the path of the secret itself",
        ),
        (
            lambda path: path.symlink_to("/dev/zero"),
            "is a character device, not a regular file; give the path of the secret itself",
        ),
        (
            lambda path: path.write_bytes(b"x" * (64 * 1024 + 1)),
            "is larger than 64 KiB, the most a secret may be: is this the right file?",
        ),
    ],
)
def test_a_secret_file_that_is_not_a_small_utf8_file_is_refused(
    tmp_path: Path, make: object, reason: str
) -> None:
    path = tmp_path / "warehouse-password"
    make(path)  # type: ignore[operator]
    with pytest.raises(DBTConfigurationError) as excinfo:
        FileSecretsPlugin(tmp_path).get_secret("warehouse-password")
    assert str(excinfo.value) == f"secret 'warehouse-password' is unusable: {path} {reason}"
    assert excinfo.value.__cause__ is None


def test_a_runtime_name_typo_is_echoed_because_it_is_not_a_secret(tmp_path: Path) -> None:
    with pytest.raises(PluginLoadError, match=r"no dbt plugin named 'lcoal' is installed"):
        PlatformManifest.from_yaml(write(tmp_path, "plugins:\n  dbt_runtime: lcoal\n"))


# -- round 2: no secret in a traceback's locals, no unrecognisable token echoed ----

SHORT_TOKEN = "hG7kq2Lp9xW3"  # no known prefix, too short to look random: still not a name


@pytest.mark.parametrize("given", ["process environment", "mapping"])
def test_a_failed_lookup_keeps_no_secret_in_its_frames(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """Round 2: a traceback with locals (pytest -l, Sentry) showed the whole environment."""
    canary = "s3cr3t-canary-Zq8v1XwLr5"
    environ = {"FLOE_SECRET_OTHER": canary}
    if given == "process environment":
        monkeypatch.setenv("FLOE_SECRET_OTHER", canary)
        backend = EnvSecretsPlugin()
    else:
        backend = EnvSecretsPlugin(environ=environ)
    with pytest.raises(DBTConfigurationError) as raised:
        backend.get_secret("warehouse-password")
    below_this_test = raised.value.__traceback__.tb_next  # frames of floe only
    report = traceback.TracebackException(
        type(raised.value), raised.value, below_this_test, capture_locals=True
    )
    text = "".join(report.format())
    assert [frame.name for frame in report.stack] == ["get_secret"]
    assert canary not in text
    assert "'warehouse-password'" in text  # locals were captured: a leak would show


def test_a_token_without_a_known_prefix_is_not_echoed_by_validate_or_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(f"FLOE_SECRET_{SHORT_TOKEN.upper()}", raising=False)
    path = write(tmp_path, CLOUD.replace("dbt-cloud-api-token", SHORT_TOKEN))
    manifest = PlatformManifest.from_yaml(path)  # a valid shape: it might be a name
    output = validate_refuses(path)
    assert output == (
        f"{path}: 1 problem(s)\n"
        "  - plugins.dbt_runtime_config.cloud.api_token_ref (line 6): secret (a reference that "
        "does not look like a name, not shown) not found: its environment variable is not set "
        "(set FLOE_SECRET_<REFERENCE>, or configure another secrets backend)\n"
    )
    from floe_core.plugin_registry import PluginRegistry

    config = PluginRegistry().runtime_config(manifest)
    assert_not_echoed(SHORT_TOKEN, repr(manifest), str(manifest), repr(config), str(config))
    assert "api_token_ref='(not shown)'" in repr(config)


@pytest.mark.parametrize("backend", [EnvSecretsPlugin(environ={}), FileSecretsPlugin("/nowhere")])
def test_a_reference_that_is_a_name_is_still_named(backend: object) -> None:
    with pytest.raises(DBTConfigurationError, match="'warehouse-password'"):
        backend.get_secret("warehouse-password")  # type: ignore[attr-defined]
    with pytest.raises(DBTConfigurationError) as raised:
        backend.get_secret(SHORT_TOKEN)  # type: ignore[attr-defined]
    assert_not_echoed(SHORT_TOKEN, str(raised.value))
    assert "(a reference that does not look like a name, not shown)" in str(raised.value)
