"""floe_core and the kit import with none of dbt-core, httpx or dagster installed."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    BLOCKED = ("dbt", "httpx", "dagster", "duckdb")

    class Blocker(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    """
)


def run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_blocker_really_blocks() -> None:
    result = run_blocked("import httpx")
    assert result.returncode == 1
    assert "No module named 'httpx' (blocked)" in result.stderr


def test_floe_core_imports_without_runtimes() -> None:
    result = run_blocked(
        """
        import floe_core, floe_core.cli, floe_core.plugin_registry, floe_core.schemas
        import floe_core.secrets, floe_core.telemetry, floe_core.artifacts
        import floe_dbt_compliance.plugin, floe_dbt_compliance.projects
        from floe_core.plugin_registry import PluginRegistry
        names = PluginRegistry().names("dbt")
        assert {"local", "cloud", "fusion"} <= set(names), names
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        assert loaded == [], loaded
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_loading_a_runtime_whose_dependency_is_missing_says_how_to_fix_it() -> None:
    result = run_blocked(
        """
        from floe_core.plugin_registry import PluginLoadError, PluginRegistry
        try:
            PluginRegistry().load_class("dbt", "cloud")
        except PluginLoadError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "dbt plugin 'cloud' (floe_dbt_cloud:DBTCloudPlugin) failed to load" in result.stdout
    assert "pip install 'floe-dbt[cloud]'" in result.stdout


def test_pytest_plugins_load_nothing_of_floe_core_before_coverage_starts() -> None:
    """Every pytest11 plugin floe-dbt installs imports no floe_core module when loaded.

    pytest loads entry-point plugins before pytest-cov starts measuring: a module
    a plugin imports at load time is never measured (the coverage gate fell to
    86 % when the cloud harness imported floe_core.bounds at module level), and
    every pytest session of everyone who installs floe-dbt pays for the import.
    """
    from importlib.metadata import entry_points

    plugins = sorted(
        ep.value for ep in entry_points(group="pytest11") if ep.dist and ep.dist.name == "floe-dbt"
    )
    assert plugins, "floe-dbt installs pytest11 plugins"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib, sys\n"
            f"for name in {plugins!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'floe_core'))",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _loaded_after(code: str, roots: tuple[str, ...]) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(code)
            + f"\nprint(sorted(m for m in sys.modules if m.split('.')[0] in {roots!r}))",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return list(ast.literal_eval(result.stdout.strip()))


def test_the_cloud_runtime_imports_neither_the_kit_nor_its_emulator() -> None:
    """The runtime stands below what certifies it: every module of it, imported."""
    loaded = _loaded_after(
        """
        import importlib, pkgutil, sys
        import floe_dbt_cloud
        for module in pkgutil.walk_packages(floe_dbt_cloud.__path__, "floe_dbt_cloud."):
            importlib.import_module(module.name)
        floe_dbt_cloud.DBTCloudPlugin
        assert "floe_dbt_cloud.plugin" in sys.modules
        """,
        ("floe_dbt_compliance", "floe_dbt_cloud_emulator"),
    )
    assert loaded == []


def test_the_cloud_harness_plugin_loads_nothing_of_floe_at_pytest_load() -> None:
    """The harness pytest loads in every session imports no runtime, kit or emulator module."""
    loaded = _loaded_after(
        "import sys, floe_dbt_cloud_emulator.kit_harness",
        ("floe_core", "floe_dbt_cloud", "floe_dbt_compliance", "floe_dbt_cloud_emulator"),
    )
    assert loaded == ["floe_dbt_cloud_emulator", "floe_dbt_cloud_emulator.kit_harness"]
