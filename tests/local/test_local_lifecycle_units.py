"""The lifecycle capability's parts that need no dbt invocation: vars binding, arguments, lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from floe_core.errors import DBTConfigurationError, DBTExecutionTimeout
from floe_core.lifecycle import DBTLifecycle, supports_lifecycle
from floe_core.selectors import merge_vars
from floe_core.vocabulary import RUN, DbtArguments
from floe_dbt_local import LocalDBTPlugin
from floe_dbt_local.invocation import Call
from floe_dbt_local.layout import ProjectLayout
from floe_dbt_local.reuse import project_fingerprint


def test_with_vars_returns_a_new_runtime_of_the_same_class_with_the_same_settings() -> None:
    class Sub(LocalDBTPlugin):
        pass

    runtime = Sub(lock_timeout_seconds=12, reuse_manifest=False)
    bound = runtime.with_vars({"start_date": "2018-02-01"})
    assert type(bound) is Sub
    assert bound is not runtime
    assert isinstance(bound, DBTLifecycle)
    assert supports_lifecycle(bound)
    assert (bound.lock_timeout_seconds, bound.reuse_manifest) == (12.0, False)
    assert bound.invocation_lock is runtime.invocation_lock
    assert runtime.get_runtime_metadata()["bound_vars"] == []
    assert bound.get_runtime_metadata()["bound_vars"] == ["start_date"]


def test_vars_are_merged_and_copied_when_bound() -> None:
    nested = {"level": 1}
    first = LocalDBTPlugin().with_vars({"a": 1, "nested": nested})
    nested["level"] = 2  # mutating what was passed changes nothing bound
    second = first.with_vars({"b": [1, 2], "a": "replaced"})
    assert merge_vars({}, None) == {}
    assert merge_vars({"a": 1}, {}) == {"a": 1}
    assert first._vars == {"a": 1, "nested": {"level": 1}}
    assert second._vars == {"a": "replaced", "nested": {"level": 1}, "b": [1, 2]}


@pytest.mark.parametrize(
    "bad",
    [{"x": {1, 2}}, {"x": float("nan")}, {"": 1}, {1: "x"}, ["start_date"], "start_date=1"],
)
def test_malformed_vars_are_refused_when_bound(bad: object) -> None:
    with pytest.raises(DBTConfigurationError, match="vars"):
        LocalDBTPlugin().with_vars(bad)  # type: ignore[arg-type]


def test_repr_and_metadata_name_the_vars_never_their_values() -> None:
    bound = LocalDBTPlugin().with_vars({"api_key": "s3cr3t-value", "since": "2018"})
    assert repr(bound) == (
        "LocalDBTPlugin(lock_timeout_seconds=3600, reuse_manifest=True, vars=['api_key', 'since'])"
    )
    assert "s3cr3t-value" not in str(bound.get_runtime_metadata())


def test_malformed_call_vars_are_refused_before_waiting_for_the_lock(tmp_path: Path) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with LocalDBTPlugin.invocation_lock.hold("run", tmp_path, timeout_seconds=30):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(30)
        runtime = LocalDBTPlugin(lock_timeout_seconds=0.05)
        # A malformed var: refused at once, not after the lock timeout.
        with pytest.raises(DBTConfigurationError, match="vars"):
            runtime.build(tmp_path, tmp_path, "dev", vars={"x": object()})
        # Well-formed: each lifecycle command waits for the same class-level lock.
        for command, call in {
            "seed": lambda: runtime.seed(tmp_path, tmp_path, "dev"),
            "snapshot": lambda: runtime.snapshot(tmp_path, tmp_path, "dev"),
            "build": lambda: runtime.build(tmp_path, tmp_path, "dev", vars={"x": 1}),
        }.items():
            with pytest.raises(DBTExecutionTimeout, match=f"to start `dbt {command}`"):
                call()
    finally:
        release.set()
        holder.join()


def _call(**options: Any) -> Call:
    return Call(DbtArguments.of(RUN, **options), Path("/p"), Path("/p"), "dev")


def test_call_passes_vars_to_every_command_and_keys_the_manifest_by_them() -> None:
    plain = _call(select="a")
    bound = _call(select="a", vars={"x": 1})
    assert "--vars" not in plain.args()
    assert plain.args()[-2:] == ["--select", "a"]
    # The parse ahead of the run gets the vars, never the selection.
    args = bound.args("parse")
    assert args[0] == "parse"
    assert args[args.index("--vars") + 1] == '{"x": 1}'
    assert "--select" not in args
    assert bound.args()[0] == "run"
    assert bound.args()[-4:] == ["--select", "a", "--vars", '{"x": 1}']
    assert plain.key != bound.key
    assert bound.key != _call(select="a", vars={"x": 2}).key
    assert bound.key == _call(select="b", vars={"x": 1}).key


def test_fingerprint_changes_with_the_vars(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    layout = ProjectLayout.read(tmp_path)

    def fingerprint(vars: str | None) -> str:
        return project_fingerprint(layout, tmp_path, "dev", "1.11.0", vars)

    assert fingerprint(None) == fingerprint(None)
    assert len({fingerprint(None), fingerprint('{"x": 1}'), fingerprint('{"x": 2}')}) == 3
