"""Variants right on DuckDB, wrong on PostgreSQL: they deploy where the profile does not say.

Each renders the profile it hands dbt itself (as a service that keeps its
own connection settings does) and gets one PostgreSQL setting wrong. On
DuckDB the setting does not exist (a file has one schema, ``main``, and no
database name), so nothing changes there: only a kit that runs on
PostgreSQL and reads the schema the profile names can refuse them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from . import AcmeRuntime


class _RendersProfile(AcmeRuntime):
    """Hands dbt a profile of its own, with ``_postgres(output)`` applied to postgres outputs."""

    def _postgres(self, output: dict[str, Any]) -> None:
        raise NotImplementedError

    def _arguments(
        self, command: str, project_dir: Path, profiles_dir: Path, *rest: Any
    ) -> list[str]:
        profiles = yaml.safe_load((Path(profiles_dir) / "profiles.yml").read_text()) or {}
        for profile in profiles.values():
            for output in (
                (profile.get("outputs") or {}).values() if isinstance(profile, dict) else ()
            ):
                if output.get("type") == "postgres":
                    self._postgres(output)
        rendered = Path(tempfile.mkdtemp(prefix="acme-profile-"))
        (rendered / "profiles.yml").write_text(yaml.safe_dump(profiles), encoding="utf-8")
        return super()._arguments(command, project_dir, rendered, *rest)


class DefaultSchema(_RendersProfile):
    """Deploys into the adapter's default schema (``public``), whatever the target says."""

    def _postgres(self, output: dict[str, Any]) -> None:
        output["schema"] = "public"


class OwnDatabase(_RendersProfile):
    """Connects to the server's default database (``postgres``), not the one the target names."""

    def _postgres(self, output: dict[str, Any]) -> None:
        output["dbname"] = "postgres"
