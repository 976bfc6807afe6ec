"""Variants that break run_models and run_tests: what they select and what they run."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from dbt.cli.main import dbtRunner

from floe_core.plugin_interfaces import DBTRunResult

from . import AcmeRuntime


class IgnoresSelect(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(None, exclude, full_refresh)


class IgnoresExclude(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, None, full_refresh)


class IgnoresFullRefresh(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, exclude, False)


class AlwaysFullRefresh(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        return super()._selection(select, exclude, True)


class ExcludeDropsSelect(AcmeRuntime):
    """Given both, keeps only the exclusion."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if exclude is not None:
            select = None
        return super()._selection(select, exclude, full_refresh)


class FirstMemberOnly(AcmeRuntime):
    """Passes only the first member of a union ("a b" selects a)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.split(" ")[0]
        return super()._selection(select, exclude, full_refresh)


class StripsGraphOperators(AcmeRuntime):
    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.replace("+", "")
        return super()._selection(select, exclude, full_refresh)


class IntersectionAsUnion(AcmeRuntime):
    """Reads "a,b" (the intersection) as "a b" (the union)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = select.replace(",", " ")
        return super()._selection(select, exclude, full_refresh)


class AtAsChildren(AcmeRuntime):
    """Reads "@x" (x, its descendants and their ancestors) as "x+" (x and its descendants)."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = " ".join(
                f"{member[1:]}+" if member.startswith("@") else member
                for member in select.split(" ")
            )
        return super()._selection(select, exclude, full_refresh)


class DropsDepth(AcmeRuntime):
    """Drops the depth of "n+model": all ancestors instead of n generations."""

    def _selection(self, select: str | None, exclude: str | None, full_refresh: bool) -> list[str]:
        if select is not None:
            select = re.sub(r"(^|\s)\d+\+", r"\1+", select)
        return super()._selection(select, exclude, full_refresh)


class RunIsBuild(AcmeRuntime):
    """Runs `dbt build` for run_models: tests run too."""

    def _command(self, command: str) -> str:
        return "build" if command == "run" else command


class TestIgnoresSelect(AcmeRuntime):
    def run_tests(
        self, project_dir: Path, profiles_dir: Path, target: str, select: str | None = None
    ) -> DBTRunResult:
        return super().run_tests(project_dir, profiles_dir, target, None)


class StaleParse(AcmeRuntime):
    """Parses a project once and reuses that parse forever: edits run stale SQL."""

    _parsed: ClassVar[dict[tuple[str, ...], Any]] = {}

    def _parse_key(self, project: Path) -> tuple[str, ...]:
        return (str(project),)

    def _runner(self, arguments: list[str]) -> Any:
        key = self._parse_key(Path(arguments[arguments.index("--project-dir") + 1]))
        if key not in self._parsed:
            parsed = dbtRunner().invoke(["parse", *arguments[1:]])
            if parsed.result is None:
                return dbtRunner()
            self._parsed[key] = parsed.result
        return dbtRunner(manifest=self._parsed[key])


class SharesParse(StaleParse):
    """Reuses a parse while the project is unchanged, but hands dbt the same object each time.

    dbt compiles into the manifest it is given, so what one call compiled (an
    ephemeral model's CTEs, marked as injected) is missing from the next.
    """

    _parsed: ClassVar[dict[tuple[str, ...], Any]] = {}

    def _parse_key(self, project: Path) -> tuple[str, ...]:
        return (str(project), _digest(project))


class DropsPackages(AcmeRuntime):
    """Runs dbt on a copy of the project without its installed packages, then brings the
    artifacts back: a service that ships the project but never runs `dbt deps` there."""

    def _dbt(self, command: str, arguments: list[str], project_dir: Path) -> tuple[Any, float]:
        with tempfile.TemporaryDirectory(prefix="acme-shipped-") as scratch:
            shipped = Path(scratch) / "project"
            ignored = shutil.ignore_patterns("dbt_packages", "target", "logs")
            shutil.copytree(project_dir, shipped, symlinks=True, ignore=ignored)
            position = arguments.index("--project-dir") + 1
            moved = [*arguments[:position], str(shipped), *arguments[position + 1 :]]
            try:
                return super()._dbt(command, moved, project_dir)
            finally:
                if (shipped / "target").is_dir():
                    shutil.copytree(shipped / "target", project_dir / "target", dirs_exist_ok=True)


def _digest(project: Path) -> str:
    """The project's source files: what an edit changes (dbt's own output is left out)."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if relative.parts[0] in ("target", "logs") or ".duckdb" in path.name:
            continue
        if path.is_file() and not path.is_symlink():
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
