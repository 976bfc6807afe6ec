"""The fail-fast and state capabilities: the bound flags, checked once and rendered once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.run_flags import (
    DBTFailFast,
    DBTStateSelection,
    RunFlags,
    bind_run_flags,
    checked_state,
    supports_fail_fast,
    supports_state,
)
from floe_core.vocabulary import DbtArguments


def test_run_flags_render_as_dbt_flags_and_quote_the_state_in_a_step() -> None:
    flags = RunFlags(fail_fast=True, state=Path("prod state"), defer=True)
    arguments = DbtArguments.of("build", select="state:modified+", run_flags=flags)
    assert arguments.flags() == [
        "--select",
        "state:modified+",
        "--fail-fast",
        "--state",
        "prod state",
        "--defer",
    ]
    assert arguments.command_line() == (
        "dbt build --select state:modified+ --fail-fast --state 'prod state' --defer"
    )
    assert arguments.span_options() == {
        "select": "state:modified+",
        "exclude": None,
        "full_refresh": False,
        "fail_fast": True,
        "state": "prod state",
        "defer": True,
    }
    assert flags.described() == ["fail_fast", "state", "defer"]
    assert not RunFlags()
    assert RunFlags().flags() == []


def test_defer_needs_a_state_and_a_state_is_a_path() -> None:
    with pytest.raises(DBTConfigurationError, match="defer needs a state"):
        RunFlags(defer=True)
    with pytest.raises(DBTConfigurationError, match="directory path"):
        RunFlags(state="prod")  # type: ignore[arg-type]
    for bad in (None, 1, True, "", " ", "a\0b"):
        with pytest.raises(DBTConfigurationError, match="state must be the path"):
            checked_state(bad)
    assert checked_state("rel") == Path.cwd() / "rel"


class _Plain(DBTPlugin):
    def compile_project(self, *a: Any) -> Path:
        raise NotImplementedError

    def run_models(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    def run_tests(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        return {}

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        return {}

    def supports_parallel_execution(self) -> bool:
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": "plain"}


class _Both(_Plain, DBTFailFast, DBTStateSelection):
    def __init__(self, flags: RunFlags | None = None) -> None:
        self.flags = flags or RunFlags()

    def with_fail_fast(self, fail_fast: bool = True) -> _Both:
        return _Both(RunFlags(fail_fast, self.flags.state, self.flags.defer))

    def with_state(self, state: Path, *, defer: bool = False) -> _Both:
        return _Both(RunFlags(self.flags.fail_fast, checked_state(state), defer))


def test_binding_needs_the_capability_and_leaves_the_runtime_alone() -> None:
    plain, both = _Plain(), _Both()
    assert not supports_fail_fast(plain)
    assert not supports_state(plain)
    assert supports_fail_fast(both)
    assert supports_state(both)
    assert not supports_fail_fast(object())
    assert bind_run_flags(plain) is plain
    with pytest.raises(DBTConfigurationError, match=r"'p' .*fail-fast capability"):
        bind_run_flags(plain, fail_fast=True, name="p")
    with pytest.raises(DBTConfigurationError, match="state capability"):
        bind_run_flags(plain, state=Path("s"))
    with pytest.raises(DBTConfigurationError, match="--defer needs --state"):
        bind_run_flags(both, defer=True)
    bound = bind_run_flags(both, fail_fast=True, state=Path("/s"), defer=True)
    assert isinstance(bound, _Both)
    assert bound is not both
    assert bound.flags == RunFlags(True, Path("/s"), True)
    assert both.flags == RunFlags()


@pytest.mark.parametrize(
    ("flags", "needed"),
    [(["-x"], "fail-fast capability"), (["--state", "prod", "--defer"], "state capability")],
)
def test_the_cli_refuses_a_flag_the_runtime_cannot_pass(
    tmp_path: Path, flags: list[str], needed: str
) -> None:
    from click.testing import CliRunner

    from floe_core.cli import main

    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: fusion\n")
    where = ["--manifest", str(manifest), "--project-dir", str(tmp_path)]
    refused = CliRunner().invoke(main, ["build", *where, *flags])
    assert refused.exit_code == 2
    assert f"'fusion' (DBTFusionPlugin) does not have the {needed}" in refused.output
