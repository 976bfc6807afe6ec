"""The command a person expects: `floe runtimes`, help for every option, exit codes, dbt's names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from floe_core.cli import EXIT_CODES, default_profiles_dir, main


def test_runtimes_lists_local_cloud_and_fusion_with_what_each_can_do() -> None:
    result = CliRunner().invoke(main, ["runtimes", "--json"])
    assert result.exit_code == 0, result.output
    described = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert {"local", "cloud", "fusion"} <= set(described)
    local, cloud, fusion = described["local"], described["cloud"], described["fusion"]
    assert local["target"] == "floe_dbt_local:LocalDBTPlugin"
    assert (local["placeholder"], local["capabilities"]) == (
        False,
        ["lifecycle", "fail_fast", "state", "serialised_execution"],
    )
    assert fusion["placeholder"] is True
    # cloud needs its section (and a secret) to be built: described from its class only.
    assert cloud["placeholder"] is None
    assert cloud["capabilities"] == ["lifecycle", "fail_fast", "state"]
    assert cloud["config"] == "required: account_id, api_token_ref, job_ids"
    assert local["distribution"].startswith("floe-dbt ")

    table = CliRunner().invoke(main, ["runtimes"]).stdout.splitlines()
    assert table[0].split() == [
        "NAME", "PLACEHOLDER", "CAPABILITIES", "SETTINGS", "CLASS", "DISTRIBUTION"
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in table[1:]}
    assert rows["fusion"].split()[1] == "yes"
    assert rows["local"].split()[1] == "no"
    assert rows["cloud"].split()[1:3] == ["not", "built"]


def test_runtimes_names_a_runtime_that_cannot_load(acme_dist: Path) -> None:
    result = CliRunner().invoke(main, ["runtimes", "--json"])
    assert result.exit_code == 0, result.output
    described = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert "acme_floe_missing_dependency" in described["broken"]["problem"]
    assert "is not a subclass of DBTPlugin" in described["wrong_type"]["problem"]
    assert described["acme"]["config"] == "required: region, api_key_ref"
    assert described["defaults"]["placeholder"] is False
    table = CliRunner().invoke(main, ["runtimes"])
    assert "broken: " in table.stderr


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(main, click.Group)
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_option_has_a_sentence_and_the_exit_codes_are_stated(
    name: str, command: click.Command
) -> None:
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            sentence = parameter.help or ""
            assert sentence.endswith((".", ")")), f"floe {name} {parameter.opts[0]}: no help"
    shown = CliRunner().invoke(main, [name, "--help"]).stdout
    assert "Exit codes:" in shown
    codes = re.findall(r"^\s+(\d)  \w", shown, re.MULTILINE)
    assert codes == ["0", "1", "2"]
    assert "0  the command succeeded" in EXIT_CODES


def test_dbt_options_are_named_as_dbts() -> None:
    shown = CliRunner().invoke(main, ["run", "--help"]).stdout
    for option in ("--project-dir", "--profiles-dir", "-t, --target", "-s, --select",
                   "--exclude", "--full-refresh", "--vars", "--log-level", "-q, --quiet",
                   "--use-colors / --no-use-colors"):  # fmt: skip
        assert option in shown, option
    # Where floe's default is not dbt's, --help says so.
    assert "Unlike dbt" in shown
    assert "~/.dbt" in shown


def test_profiles_dir_defaults_like_dbt_when_the_project_has_no_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere, home = tmp_path / "project", tmp_path / "cwd", tmp_path / "home"
    for directory in (project, elsewhere, home):
        directory.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("HOME", str(home))
    assert default_profiles_dir(project) == home / ".dbt"  # dbt's last resort
    (elsewhere / "profiles.yml").touch()
    assert default_profiles_dir(project) == elsewhere  # dbt's: the working directory
    (project / "profiles.yml").touch()
    assert default_profiles_dir(project) == project  # floe's: the project carries its profile


def test_dbt_environment_variables_give_the_defaults(
    scripted_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    (scripted_dist / "manifest.yaml").write_text("plugins:\n  dbt_runtime: scripted\n")
    project, profiles = scripted_dist / "p", scripted_dist / "profiles"
    project.mkdir()
    profiles.mkdir()
    (project / "dbt_project.yml").touch()
    monkeypatch.setenv("DBT_PROJECT_DIR", str(project))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(profiles))
    monkeypatch.setenv("DBT_TARGET", "prod")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 0, result.output
    (call,) = importlib.import_module("scripted_floe").CALLS
    assert (call["project_dir"], call["profiles_dir"], call["target"]) == (
        str(project),
        str(profiles),
        "prod",
    )


def test_project_dir_defaults_to_the_nearest_dbt_project(
    scripted_dist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    (scripted_dist / "manifest.yaml").write_text("plugins:\n  dbt_runtime: scripted\n")
    (scripted_dist / "dbt_project.yml").touch()
    (scripted_dist / "profiles.yml").touch()
    models = scripted_dist / "models" / "staging"
    models.mkdir(parents=True)
    monkeypatch.chdir(models)  # as dbt does, from anywhere inside the project
    result = CliRunner().invoke(main, ["run", "--manifest", str(scripted_dist / "manifest.yaml")])
    assert result.exit_code == 0, result.output
    (call,) = importlib.import_module("scripted_floe").CALLS
    assert call["project_dir"] == str(scripted_dist)


def test_validate_takes_manifest_as_every_command_does(tmp_path: Path) -> None:
    manifest = tmp_path / "platform.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: local\n")
    expected = f"{manifest}: valid (dbt runtime: local)\n"
    assert CliRunner().invoke(main, ["validate", "--manifest", str(manifest)]).stdout == expected
    assert CliRunner().invoke(main, ["validate", str(manifest)]).stdout == expected
    same = CliRunner().invoke(main, ["validate", str(manifest), "--manifest", str(manifest)])
    assert same.exit_code == 0
    other = tmp_path / "other.yaml"
    both = CliRunner().invoke(main, ["validate", str(manifest), "--manifest", str(other)])
    assert both.exit_code == 2
    assert "two manifests given" in both.stderr


def test_validate_defaults_to_manifest_yaml_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifest.yaml").write_text("plugins:\n  dbt_runtime: local\n")
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "manifest.yaml: valid (dbt runtime: local)\n"


def test_the_cli_reference_names_every_command_option_and_exit_code() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "cli.md").read_text()
    for name, command in _commands():
        assert f"`floe {name}" in page, name
        for parameter in command.params:
            if isinstance(parameter, click.Option) and parameter.name != "help":
                longest = max(parameter.opts, key=len)
                assert f"`{longest}" in page, (
                    f"floe {name} {longest} is not on docs/reference/cli.md"
                )
    assert "## Exit codes" in page
