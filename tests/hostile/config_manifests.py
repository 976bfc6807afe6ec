"""Shared by the configuration hostile tests: a valid cloud manifest, and how to judge a refusal."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from floe_core.cli import main

CLOUD = textwrap.dedent(
    """\
    plugins:
      dbt_runtime: cloud
      dbt_runtime_config:
        cloud:
          account_id: "12345"
          api_token_ref: dbt-cloud-api-token
          job_ids: {compile: 1, run: 2, test: 3}
    """
)


def write(directory: Path, content: str | bytes) -> Path:
    """Write ``manifest.yaml`` in ``directory``."""
    path = directory / "manifest.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def validate_refuses(path: Path) -> str:
    """``floe validate``'s output for a manifest it refuses: exit 1, and no traceback."""
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    return result.output
