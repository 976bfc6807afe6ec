"""The platform manifest as an adversarial user writes it (issue: hardening, rows 5, 6, 8).

Each case was reproduced before the fix: ``account_id: 012345`` became 5349
(YAML 1.1 reads it as octal); ``dbt_runtime`` given twice silently kept the
last; ``.inf`` or ``1e12`` seconds passed validation, then hung or overflowed;
``secrets.config`` keys the backend does not take passed validation and
crashed ``floe run`` with a ``TypeError``; a 1 KB alias bomb hung ``floe
validate``; 200,000 unknown keys took over 10 minutes; a FIFO blocked
forever; UTF-16, 100,000 nested brackets and a symlink to ``/dev/zero`` gave
tracebacks. Each now gets a ``ManifestError`` saying what, where and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from config_manifests import CLOUD as BASE
from config_manifests import validate_refuses, write

from floe_core.cli import main
from floe_core.errors import ManifestError
from floe_core.plugin_registry import PluginRegistry
from floe_core.schemas import PlatformManifest

# A hang is the bug some of these reproduce: each test must end.
pytestmark = pytest.mark.timeout(60)

CLOUD = BASE + "      timeout_seconds: 3600\n"


def refusal(path: Path) -> list[str]:
    """The problems of a refused manifest; ``floe validate`` says the same, without a traceback."""
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert excinfo.value.__cause__ is None
    output = validate_refuses(path)
    for problem in excinfo.value.problems[:20]:
        assert f"  - {problem}\n" in output
    return [str(problem) for problem in excinfo.value.problems]


def test_an_id_is_kept_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", "tok")
    path = write(tmp_path, CLOUD.replace('account_id: "12345"', "account_id: 012345"))
    runtime = PluginRegistry().create_dbt_runtime(PlatformManifest.from_yaml(path))
    try:
        assert runtime.account_id == "012345"  # YAML 1.1 would make it 5349
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "plugins:\n  dbt_runtime: local\n  dbt_runtime: cloud\n",
            "plugins.dbt_runtime (line 3): key 'dbt_runtime' is given twice (first on line 2); "
            "YAML would keep only the last one: remove one of them",
        ),
        (
            CLOUD.replace("      timeout_seconds", '      account_id: "9"\n      timeout_seconds'),
            "plugins.dbt_runtime_config.cloud.account_id (line 8): key 'account_id' is given "
            "twice (first on line 5); YAML would keep only the last one: remove one of them",
        ),
        (
            "plugins: {dbt_runtime: local, dbt_runtime: cloud}\n",
            "plugins.dbt_runtime (line 1): key 'dbt_runtime' is given twice (first on line 1); "
            "YAML would keep only the last one: remove one of them",
        ),
        (
            "plugins:\n  dbt_runtime: local\nplugins:\n  dbt_runtime: cloud\n",
            "plugins (line 3): key 'plugins' is given twice (first on line 1); "
            "YAML would keep only the last one: remove one of them",
        ),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert refusal(write(tmp_path, text)) == [expected]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("timeout_seconds", ".inf", "Input should be a finite number"),
        ("timeout_seconds", "1e12", "Input should be less than or equal to 604800"),
        ("timeout_seconds", ".nan", "Input should be a finite number"),
        ("poll_interval_seconds", "1e12", "Input should be less than or equal to 3600"),
        ("cache_ttl_hours", ".inf", "Input should be a finite number"),
        ("cache_ttl_hours", "1.0e+12", "Input should be less than or equal to 8760"),
        ("environment_id", "9223372036854775808", "Input should be less than or equal to "),
    ],
)
def test_every_cloud_number_is_bounded(tmp_path: Path, key: str, value: str, message: str) -> None:
    text = CLOUD.replace("timeout_seconds: 3600", f"{key}: {value}")
    (problem,) = refusal(write(tmp_path, text))
    assert problem.startswith(f"plugins.dbt_runtime_config.cloud.{key} (line 8): {message}")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".inf", "Input should be a finite number"),
        ("1e12", "Input should be less than or equal to 86400"),
    ],
)
def test_the_local_lock_timeout_is_bounded(tmp_path: Path, value: str, message: str) -> None:
    text = (
        "plugins:\n  dbt_runtime: local\n  dbt_runtime_config:\n    local:\n"
        f"      lock_timeout_seconds: {value}\n"
    )
    assert refusal(write(tmp_path, text)) == [
        f"plugins.dbt_runtime_config.local.lock_timeout_seconds (line 5): {message}"
    ]


@pytest.mark.parametrize(
    ("backend", "config", "expected"),
    [
        (
            "file",
            "{directroy: /mnt/secrets}",
            "plugins.secrets.config.directroy (line 11): unknown key 'directroy'; "
            "did you mean 'directory'?",
        ),
        (
            "env",
            "{prefix: 'NOT A PREFIX'}",
            "plugins.secrets.config.prefix (line 11): String should match pattern "
            "'^[A-Za-z_][A-Za-z0-9_]{0,63}$'",
        ),
    ],
)
def test_secrets_config_is_validated_by_the_backends_own_model(
    tmp_path: Path, backend: str, config: str, expected: str
) -> None:
    text = CLOUD + f"  secrets:\n    type: {backend}\n    config: {config}\n"
    assert refusal(write(tmp_path, text)) == [expected]


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in range(1, levels):
        text += f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * width) + "]\n"
    return text


@pytest.mark.parametrize(
    "where",
    ["  dbt_runtime: *a8\n", "  secrets: {type: env, config: {x: *a8}}\n  dbt_runtime: local\n"],
)
def test_an_alias_bomb_is_refused_without_being_expanded(tmp_path: Path, where: str) -> None:
    text = _alias_bomb() + "plugins:\n" + where
    assert len(text) < 1024
    assert refusal(write(tmp_path, text)) == [
        "a5 (line 6): expands to more than 100,000 values (YAML aliases repeat what they point "
        "to); write the values out instead"
    ]


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, "plugins: &p {dbt_runtime: local, again: *p}\n")) == [
        "plugins.again (line 1): a YAML alias refers to a value that contains it; remove the alias"
    ]


def test_200000_unknown_keys_are_refused_by_size(tmp_path: Path) -> None:
    keys = "".join(f"    k{i}: 0\n" for i in range(200_000))
    path = write(tmp_path, "plugins:\n  dbt_runtime: local\n  extra:\n" + keys)
    assert refusal(path) == [
        "(file): is larger than 256 KiB, the most a manifest may be: is this the right file?"
    ]


def test_thousands_of_unknown_keys_are_counted_not_all_listed(tmp_path: Path) -> None:
    keys = "".join(f"      k{i}: 0\n" for i in range(5_000))
    path = write(tmp_path, CLOUD + keys)
    with pytest.raises(ManifestError) as excinfo:
        PlatformManifest.from_yaml(path)
    assert len(excinfo.value.problems) == 5_000
    message = str(excinfo.value).splitlines()
    assert len(message) == 1 + 20 + 1
    assert message[1] == (
        "  - plugins.dbt_runtime_config.cloud.k0 (line 9): unknown key 'k0'; valid keys: "
        "account_id, api_token_ref, base_url, cache_dir, cache_ttl_hours, discovery_url, "
        "environment_id, job_ids, poll_interval_seconds, timeout_seconds"
    )
    assert message[-1] == "  ... and 4980 more problem(s)"
    output = CliRunner().invoke(main, ["validate", str(path)]).output.splitlines()
    assert output[0] == f"{path}: 5000 problem(s)"
    assert (len(output), output[-1]) == (22, "  ... and 4980 more")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    os.mkfifo(path)
    assert refusal(path) == [
        "(file): is a FIFO (named pipe), not a regular file; give the path of the manifest itself"
    ]


def test_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    path.symlink_to("/dev/zero")
    assert refusal(path) == [
        "(file): is a character device, not a regular file; give the path of the manifest itself"
    ]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").mkdir()
    with pytest.raises(ManifestError, match=r"is a directory, not a regular file"):
        PlatformManifest.from_yaml(tmp_path / "manifest.yaml")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            "plugins:\n  dbt_runtime: local\n".encode("utf-16"),
            "(file): is UTF-16 text; save it as UTF-8",
        ),
        (
            b"plugins:\n  dbt_runtime: caf\xe9\n",
            "(file): is not UTF-8 text (byte 27 cannot be decoded); save it as UTF-8",
        ),
    ],
)
def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path, data: bytes, expected: str) -> None:
    assert refusal(write(tmp_path, data)) == [expected]


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffplugins:\n  dbt_runtime: local\n".encode())
    assert PlatformManifest.from_yaml(path).plugins.dbt_runtime == "local"


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    assert refusal(write(tmp_path, "plugins: " + "[" * depth)) == [
        "(file) (line 1): nested more than 64 levels deep; a manifest needs a few levels: "
        "is this the right file?"
    ]
