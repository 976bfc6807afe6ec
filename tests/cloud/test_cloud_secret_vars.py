"""Hardening round 2, leaks (cloud runtime): a secret var reaches dbt Cloud's run and nothing else.

The cloud runtime sends vars in the run's ``steps_override`` (dbt Cloud runs
the command), so a secret var is in that step, as in any dbt Cloud job that
passes ``--vars``. What comes back is the runtime's: ``run_results.json``
(where dbt copies ``--vars``), ``manifest.json`` (where the project renders
them), the cache, the step's log quoted in an error, spans, metadata, logs.
None of them may hold the value. Against the emulator on loopback, which
runs real dbt-core.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cloud_helpers import PacedSleep, Served
from opentelemetry.sdk.trace import ReadableSpan
from pydantic import SecretStr

from floe_core.errors import DBTCompilationError
from floe_core.redaction import REDACTED

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SECRET = "pq7-Secret-Var-Value-zz19"
KEYED = (
    "{{ config(materialized='table', meta={'owner_key': var('api_key', 'none')}) }}\n"
    'select \'{{ var("api_key", "none") }}\' as key_used\n'
)


def _leaks(*directories: Path) -> list[str]:
    return sorted(
        str(path)
        for directory in directories
        for path in directory.rglob("*")
        if path.is_file() and SECRET.encode() in path.read_bytes()
    )


def _keyed(serve: Callable[..., Served], model: str = KEYED) -> Served:
    served = serve("lifecycle")
    (served.copy.project_dir / "models" / "keyed.sql").write_text(model, encoding="utf-8")
    return served


def test_a_secret_var_runs_in_dbt_cloud_and_comes_back_redacted(
    serve: Callable[..., Served],
    paced_sleep: PacedSleep,
    query: Callable[[Path, str], list[tuple[Any, ...]]],
    cloud_spans: Callable[[], list[ReadableSpan]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = _keyed(serve)
    caplog.set_level(logging.DEBUG, logger="floe_dbt_cloud")
    plugin = served.plugin(sleep=paced_sleep).with_vars({"api_key": SecretStr(SECRET)})
    copy = served.copy
    result = plugin.build(copy.project_dir, copy.profiles_dir, copy.target, select="keyed")
    assert result.success, result
    assert query(copy.project_dir / "lifecycle.duckdb", "select key_used from keyed") == [(SECRET,)]
    target = copy.project_dir / "target"
    assert _leaks(target, served.cache_dir) == []
    run_results = json.loads((target / "run_results.json").read_text())
    assert run_results["args"]["vars"] == {"api_key": REDACTED}
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["nodes"]["model.lifecycle.keyed"]["config"]["meta"] == {"owner_key": REDACTED}
    assert [r.getMessage() for r in caplog.records if SECRET in r.getMessage()] == []
    spans = cloud_spans()
    assert spans
    assert all(SECRET not in json.dumps(dict(s.attributes or {})) for s in spans)
    assert SECRET not in repr(plugin) + json.dumps(plugin.get_runtime_metadata())
    assert SECRET not in repr(result)
    # The step dbt Cloud ran had it: that is how it reached dbt.
    (run,) = served.emulator.runs.values()
    assert any(SECRET in (step or "") for step in run.steps_override or [])


def test_a_failed_step_log_quoting_a_secret_var_is_redacted(
    serve: Callable[..., Served], paced_sleep: PacedSleep
) -> None:
    failing = "{{ exceptions.raise_compiler_error('refused key ' ~ var('api_key')) }}\nselect 1\n"
    served = _keyed(serve, failing)
    plugin = served.plugin(sleep=paced_sleep).with_vars({"api_key": SecretStr(SECRET)})
    copy = served.copy
    with pytest.raises(DBTCompilationError) as raised:
        plugin.run_models(copy.project_dir, copy.profiles_dir, copy.target, select="keyed")
    assert "refused key" in str(raised.value)  # the step's log is quoted ...
    assert SECRET not in str(raised.value)  # ... without the secret
