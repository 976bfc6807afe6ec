"""Property: ``floe validate`` answers every document with "valid" or a clear problem list.

Hypothesis writes manifests (near-valid ones built from the real keys,
arbitrary YAML values, and raw text), and ``floe validate`` must exit 0 with
"valid" or 1 with its problems listed: never a traceback, never another exit
code. Bounded and derandomised: the same examples every run, so a failure
replays. The test's timeout is the "bounded time" (a hang fails it); how long
validation takes is measured in ``benchmarks/``, not here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_core.cli import main

pytestmark = pytest.mark.timeout(240)

KEYS = [
    "plugins",
    "name",
    "dbt_runtime",
    "dbt_runtime_config",
    "secrets",
    "orchestrator",
    "type",
    "config",
    "local",
    "cloud",
    "fusion",
    "account_id",
    "api_token_ref",
    "api_token",
    "base_url",
    "discovery_url",
    "environment_id",
    "job_ids",
    "compile",
    "run",
    "test",
    "poll_interval_seconds",
    "timeout_seconds",
    "cache_ttl_hours",
    "cache_dir",
    "lock_timeout_seconds",
    "parallel_execution",
    "directory",
    "prefix",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=24)
    | st.sampled_from(["local", "cloud", "fusion", "env", "file", "https://x.dbt.com/api/v2"])
)
KEY = st.sampled_from(KEYS) | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEY, children, max_size=5),
    max_leaves=24,
)
NEAR_VALID = st.fixed_dictionaries(
    {
        "plugins": st.fixed_dictionaries(
            {"dbt_runtime": st.sampled_from(["local", "cloud", "fusion", "lcoal"]) | SCALARS},
            optional={
                "dbt_runtime_config": st.dictionaries(
                    st.sampled_from(["local", "cloud", "fusion", "acme"]),
                    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6),
                    max_size=3,
                ),
                "secrets": st.dictionaries(st.sampled_from(["type", "config"]), VALUES),
                "orchestrator": SCALARS,
            },
        )
    }
)


def _dump(document: Any) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()


DOCUMENTS = (
    NEAR_VALID.map(_dump)
    | VALUES.map(_dump)
    | st.text(max_size=300).map(str.encode)
    | st.binary(max_size=200)
)
ANSWER = re.compile(r"^.+: (valid \(dbt runtime: .+\)|\d+ problem\(s\))$")


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=DOCUMENTS)
def test_floe_validate_answers_every_document(
    document: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_SECRET_DBT_CLOUD_API_TOKEN", "tok")
    path = tmp_path / "manifest.yaml"
    path.write_bytes(document)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"validate raised {result.exception!r} on {document[:300]!r}"
    )
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert ANSWER.match(first), result.output
    if result.exit_code == 1:
        listed = [line for line in result.output.splitlines()[1:] if line.startswith("  - ")]
        assert listed, result.output
        assert all(line[4:].strip() for line in listed)
