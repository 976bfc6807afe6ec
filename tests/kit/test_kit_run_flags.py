"""The kit's fail-fast and state steps: how they bind, what they need, what the oracle runs.

The rows themselves are proven in ``test_kit_refuses_broken_runtimes.py``
(the ``run-flags`` session); here, the pieces they are made of.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floe_dbt_compliance.errors import CheckFailed, ScenarioError
from floe_dbt_compliance.fixture_scenarios import FAIL_FAST_BUILD, STATE
from floe_dbt_compliance.harness import RuntimeHarness
from floe_dbt_compliance.oracle.worker import dbt_arguments, run_scenario
from floe_dbt_compliance.recorder import Recorder
from floe_dbt_compliance.scenarios import keep_state, step
from floe_dbt_compliance.spans import span_recorder

from floe_core.vocabulary import RunFlags


def test_a_step_says_what_it_binds_and_what_it_needs() -> None:
    deferred = STATE.steps[STATE.index("deferred")]
    assert deferred.label == (
        "with_state(<copy>/prod-state, defer=True).run_models(select='state:modified+')"
    )
    assert deferred.needs == {"state"}
    build_x = FAIL_FAST_BUILD.steps[0]
    assert build_x.label == "with_fail_fast().build()"
    assert build_x.needs == {"fail_fast", "lifecycle"}
    kept = keep_state("keep", "prod-state")
    assert (kept.command, kept.needs, kept.label) == (
        None,
        frozenset(),
        "keep get_manifest() as prod-state/manifest.json",
    )
    assert json.loads(json.dumps(deferred.as_json()))["defer"] is True
    with pytest.raises(ScenarioError, match="defer=True needs a state"):
        step("x", "run_models", defer=True)
    with pytest.raises(ScenarioError, match="takes no"):
        step("x", "run_tests", exclude="a", fail_fast=True)


def test_the_oracle_renders_the_bound_flags_as_the_runtimes_do(tmp_path: Path) -> None:
    flags = RunFlags(True, tmp_path / "prod-state", True)
    arguments = dbt_arguments("run", tmp_path, tmp_path, "dev", {"select": "a+"}, None, flags)
    assert arguments[-6:] == [
        "--select",
        "a+",
        "--fail-fast",
        "--state",
        str(tmp_path / "prod-state"),
        "--defer",
    ]


def test_the_oracle_keeps_its_latest_manifest_as_the_state(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text('{"nodes": {"model.p.a": {}}}')
    kept = run_scenario({"project_dir": str(tmp_path), "steps": [keep_state("k", "s").as_json()]})
    assert kept == [None]
    assert json.loads((tmp_path / "s" / "manifest.json").read_text()) == {
        "nodes": {"model.p.a": {}}
    }


class _Manifests:
    """Answers get_manifest() (or raises), as far as the recorder asks."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return dict(self.answer)


def _recorder(tmp_path: Path, answer: Any) -> Recorder:
    harness = RuntimeHarness(_Manifests(answer), tmp_path, tmp_path)  # type: ignore[arg-type]
    return Recorder(harness, span_recorder(), warehouse=False)


def test_the_runtime_s_latest_manifest_becomes_the_state(tmp_path: Path) -> None:
    assert _recorder(tmp_path, {"nodes": {}}).perform(keep_state("k", "prod")) is None
    assert json.loads((tmp_path / "prod" / "manifest.json").read_text()) == {"nodes": {}}
    refusing = _recorder(tmp_path, OSError("gone"))
    with pytest.raises(CheckFailed, match=r"get_manifest\(\) raised OSError: gone"):
        refusing.perform(keep_state("k", "prod"))
