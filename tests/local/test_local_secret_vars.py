"""Hardening round 2, leaks (local runtime): a secret var reaches dbt and nothing else.

Before the fix: a var's value went into DEBUG logs, ``run_results.json``
(``args.vars``), ``manifest.json`` and the compiled SQL (where the project
renders it) and ``logs/dbt.log``. A var whose value is a ``SecretStr`` is now
masked by dbt itself (exported as a ``DBT_ENV_SECRET_`` variable for the
invocation), redacted from the runtime's own records, from every file dbt
wrote under ``target/`` and from the error a call raises.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from floe_dbt_compliance.projects import ProjectCopy
from opentelemetry.sdk.trace import ReadableSpan
from pydantic import SecretStr

from floe_core.cli import main
from floe_core.errors import DBTCompilationError
from floe_core.redaction import REDACTED
from floe_dbt_local import LocalDBTPlugin
from floe_dbt_local.secret_vars import ENVIRONMENT_PREFIX

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SECRET = "pq7-Secret-Var-Value-zz19"
# Rendered into SQL and into a config, as a project that needs a key would.
KEYED = (
    "{{ config(materialized='table', meta={'owner_key': var('api_key', 'none')}) }}\n"
    "select '{{ var(\"api_key\", \"none\") }}' as key_used, {{ var('limit', 1) }} as row_limit\n"
)


def _leaks(directory: Path) -> list[str]:
    """Every file under ``directory`` (the warehouse aside) that holds the secret."""
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and path.suffix != ".duckdb" and SECRET.encode() in path.read_bytes()
    )


def _span_text(spans: list[ReadableSpan]) -> str:
    parts = [json.dumps(dict(span.attributes or {}), default=str) for span in spans]
    parts += [str(event.attributes) for span in spans for event in span.events]
    parts += [str(span.status.description) for span in spans]
    return "\n".join(parts)


@pytest.fixture
def keyed(project: Callable[[str], ProjectCopy]) -> ProjectCopy:
    copy = project("lifecycle")
    (copy.project_dir / "models" / "keyed.sql").write_text(KEYED, encoding="utf-8")
    return copy


@pytest.mark.parametrize("bound", [True, False], ids=["with_vars", "call vars="])
def test_a_secret_var_reaches_the_warehouse_and_nothing_else(
    keyed: ProjectCopy,
    query: Callable[[Path, str], list[tuple[Any, ...]]],
    spans: Callable[[], list[ReadableSpan]],
    caplog: pytest.LogCaptureFixture,
    bound: bool,
) -> None:
    variables = {"api_key": SecretStr(SECRET), "limit": 3}
    runtime = LocalDBTPlugin(lock_timeout_seconds=300)
    caplog.set_level(logging.DEBUG)
    if bound:
        runtime = runtime.with_vars(variables)
        result = runtime.build(keyed.project_dir, keyed.profiles_dir, keyed.target, select="keyed")
    else:
        result = runtime.build(
            keyed.project_dir, keyed.profiles_dir, keyed.target, select="keyed", vars=variables
        )
    assert result.success, result
    # It reached dbt: the warehouse holds what the project made of it.
    database = keyed.project_dir / "lifecycle.duckdb"
    assert query(database, "select key_used, row_limit from keyed") == [(SECRET, 3)]
    # And nothing else: files, logs, spans, metadata, reprs.
    assert _leaks(keyed.project_dir) == []
    assert [r.getMessage() for r in caplog.records if SECRET in r.getMessage()] == []
    assert SECRET not in _span_text(spans())
    texts = [repr(runtime), repr(result), json.dumps(runtime.get_runtime_metadata())]
    assert all(SECRET not in text for text in texts)
    assert not [name for name in os.environ if name.startswith(ENVIRONMENT_PREFIX)]
    # What was redacted stays readable: run_results still says which vars were given.
    run_results = json.loads((keyed.project_dir / "target" / "run_results.json").read_text())
    assert run_results["args"]["vars"] == {"api_key": REDACTED, "limit": 3}
    manifest = json.loads((keyed.project_dir / "target" / "manifest.json").read_text())
    node = manifest["nodes"]["model.lifecycle.keyed"]
    assert node["config"]["meta"] == {"owner_key": REDACTED}
    assert "*****" in (keyed.project_dir / "logs" / "dbt.log").read_text()  # dbt's own mask


def test_an_error_quoting_a_secret_var_does_not_repeat_it(
    keyed: ProjectCopy, spans: Callable[[], list[ReadableSpan]]
) -> None:
    broken = "{{ exceptions.raise_compiler_error('refused key ' ~ var('api_key')) }}\nselect 1\n"
    (keyed.project_dir / "models" / "keyed.sql").write_text(broken, encoding="utf-8")
    runtime = LocalDBTPlugin(lock_timeout_seconds=300).with_vars({"api_key": SecretStr(SECRET)})
    with pytest.raises(DBTCompilationError) as raised:
        runtime.run_models(keyed.project_dir, keyed.profiles_dir, keyed.target)
    assert SECRET not in str(raised.value)
    assert "refused key" in str(raised.value)  # the message is still dbt's
    assert SECRET not in _span_text(spans())
    assert _leaks(keyed.project_dir) == []


def test_the_cli_takes_a_secret_var_from_the_secrets_backend(
    keyed: ProjectCopy,
    query: Callable[[Path, str], list[tuple[Any, ...]]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("FLOE_SECRET_PARTNER_API_KEY", SECRET)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("plugins:\n  dbt_runtime: local\n")
    where = ["--project-dir", str(keyed.project_dir), "--profiles-dir", str(keyed.profiles_dir)]
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--manifest",
            str(manifest),
            *where,
            "--select",
            "keyed",
            "--json",
            "--secret-var",
            "api_key=partner-api-key",
            "--vars",
            "{limit: 2}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert query(
        keyed.project_dir / "lifecycle.duckdb", "select key_used, row_limit from keyed"
    ) == [(SECRET, 2)]
    assert _leaks(keyed.project_dir) == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("api_key", "must be NAME=REFERENCE, a var name and a secret reference"),
        ("1x=partner-api-key", "must be NAME=REFERENCE"),
        ("api_key=../etc/passwd", "secret reference (a reference that does not look like a name"),
    ],
)
def test_a_secret_var_that_is_not_name_equals_reference_is_a_usage_error(
    tmp_path: Path, given: str, message: str
) -> None:
    result = CliRunner().invoke(
        main, ["run", "--project-dir", str(tmp_path), "--secret-var", given]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert "../etc/passwd" not in result.stderr
