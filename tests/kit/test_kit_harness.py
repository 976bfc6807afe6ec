"""Who builds the runtime: the user's conftest, then installed packages (trylast), then the kit.

Each test makes its pytester directory look like a site where packages were
pip-installed: a ``*.dist-info`` per package, whose ``entry_points.txt``
registers a ``floe.dbt`` runtime or a ``pytest11`` plugin, next to the
package's module. pytest loads those plugins the way it loads any installed
plugin, so the ordering under test is pluggy's and pytest's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import certificate, rows

pytest_plugins = ("pytester",)

FAKE_DBT = '''
import re
from pathlib import Path
from typing import Any

from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult


class Fake(DBTPlugin):
    """Needs an argument: the kit alone cannot build it."""

    def __init__(self, built_by: str) -> None:
        self.built_by = built_by

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        raise NotImplementedError

    def run_models(self, project_dir: Path, profiles_dir: Path, target: str,
                   select: str | None = None, exclude: str | None = None,
                   full_refresh: bool = False) -> DBTRunResult:
        raise NotImplementedError

    def run_tests(self, project_dir: Path, profiles_dir: Path, target: str,
                  select: str | None = None) -> DBTRunResult:
        raise NotImplementedError

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        raise NotImplementedError

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        raise NotImplementedError

    def supports_parallel_execution(self) -> bool:
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        return {"type": "fake", "built_by": self.built_by}


class NoArgs(Fake):
    def __init__(self) -> None:
        super().__init__("the kit")
'''

QUIET = ("-p", "no:cacheprovider")
RUNTIMES = ("noargs", "needs", "pkg", "early", "user", "settled", "int", "cls")


def install(pytester: pytest.Pytester, dist: str, entry_points: str, modules: dict[str, str]):
    """Make ``dist`` look pip-installed in the pytester directory."""
    for module, source in modules.items():
        (pytester.path / f"{module}.py").write_text(source, encoding="utf-8")
    dist_info = pytester.path / f"{dist.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def install_package(
    pytester: pytest.Pytester,
    module: str,
    answers: tuple[str, ...],
    *,
    hook: str = "pytest_floe_dbt_harness",
    mark: str = "@pytest.hookimpl(trylast=True)",
) -> None:
    """A package whose pytest11 plugin builds ``answers``' runtimes, saying who built them."""
    source = (
        "import pytest\nimport fake_dbt\n\n"
        f"{mark}\ndef {hook}(name, project):\n"
        f"    if name not in {answers!r}:\n        return None\n"
        f"    return fake_dbt.Fake(built_by={module!r})\n"
    )
    install(
        pytester, module.replace("_", "-"), f"[pytest11]\n{module} = {module}\n", {module: source}
    )


@pytest.fixture
def site(pytester: pytest.Pytester) -> pytest.Pytester:
    """A directory with the ``fake-dbt`` runtimes installed (no harness anywhere yet)."""
    entry_points = "[floe.dbt]\nnoargs = fake_dbt:NoArgs\n" + "".join(
        f"{name} = fake_dbt:Fake\n" for name in RUNTIMES if name != "noargs"
    )
    install(pytester, "fake-dbt", entry_points, {"fake_dbt": FAKE_DBT})
    pytester.syspathinsert()
    return pytester


# Each runtime name is one situation; the user's test asks the kit for the runtime
# exactly as the kit's checks do and says who built it.
USER_CONFTEST = """
import fake_dbt
from floe_dbt_cloud import DBTCloudPlugin
from pydantic import SecretStr


def pytest_floe_dbt_harness(name, project, tmp_path_factory):
    if name in ("user", "settled"):
        return fake_dbt.Fake(built_by="conftest")
    if name == "int":
        return 42
    if name == "cls":
        return fake_dbt.Fake
    if name == "cloud":  # an outside harness for cloud: it must be the one used
        return DBTCloudPlugin("42", SecretStr("outside"), "http://127.0.0.1:9/api/v2",
                              {"compile": 1, "run": 2, "test": 3})
    return None
"""

WHO_BUILT = """
import pytest
from floe_dbt_compliance.building import build_harness
from floe_dbt_compliance.errors import HarnessError, KitError, RuntimeNotBuildable

BUILT_BY = {
    "noargs": "the kit",
    "pkg": "acme_kit",
    "early": "early_kit",
    "user": "conftest",
    "settled": "conftest",
}
REFUSED = {
    "needs": (RuntimeNotBuildable, "the kit cannot build runtime 'needs' .fake_dbt:Fake. with "
              "no arguments: its constructor needs built_by"),
    "int": (HarnessError, "pytest_floe_dbt_harness returned int for runtime 'int'; return the "
            "runtime built for the project .a DBTPlugin."),
    "cls": (HarnessError, "returned ABCMeta for runtime 'cls'"),
}


@pytest.mark.parametrize("runtime", [*BUILT_BY, *REFUSED, "cloud"])
def test_who(pytestconfig, tmp_path_factory, runtime):
    if runtime in REFUSED:
        error, message = REFUSED[runtime]
        with pytest.raises(error, match=message) as raised:
            build_harness(pytestconfig, runtime, "healthy", tmp_path_factory)
        assert isinstance(raised.value, KitError)
        print(raised.value)
        return
    harness = build_harness(pytestconfig, runtime, "healthy", tmp_path_factory)
    assert (harness.project_dir / "dbt_project.yml").is_file()
    if runtime == "cloud":
        assert harness.plugin.account_id == "42"
        bundled = pytestconfig.pluginmanager.get_plugin("floe_dbt_cloud_kit.session")
        assert bundled is not None and bundled._served is None, "the emulator was started"
    else:
        assert harness.plugin.built_by == BUILT_BY[runtime]
"""


def test_the_users_conftest_wins_then_a_package_then_the_kit(site: pytest.Pytester):
    # Packages answer trylast: pluggy asks every plain implementation (the conftest's) first.
    install_package(site, "acme_kit", ("pkg", "settled", "user"))
    install_package(site, "other_kit", ("settled",))
    # A package that asks to come first does, and is named for it.
    install_package(site, "early_kit", ("early",), mark="@pytest.hookimpl(tryfirst=True)")
    site.makeconftest(USER_CONFTEST)
    site.makepyfile(test_who=WHO_BUILT)
    named = [f"--floe-dbt-runtime={name}" for name in (*RUNTIMES, "cloud")]
    result = site.runpytest_inprocess(
        "--floe-dbt-compliance",
        *named,
        "test_who.py",
        "-k",
        "test_who",
        "-s",
        "--floe-dbt-report=report",
        *QUIET,
    )
    result.assert_outcomes(passed=len(RUNTIMES) + 1)
    result.stdout.fnmatch_lines(
        [
            # The hook to write, as code the user can paste.
            "*def pytest_floe_dbt_harness(name, project, tmp_path_factory):",
            "*if name != 'needs':",
            "*from fake_dbt import Fake",
            "*return Fake(built_by=...)",
            "*PytestConfigWarning: floe-dbt: early_kit (early-kit 1.0) implements "
            "pytest_floe_dbt_harness with tryfirst: it is asked before your conftest.py*",
        ]
    )


RETIRED_FIX = (
    "floe-dbt no longer calls pytest_floe_dbt_package_harness: rename it "
    "pytest_floe_dbt_harness and mark it @pytest.hookimpl(trylast=True)"
)


def test_a_package_on_the_retired_hook_is_named_with_the_fix(site: pytest.Pytester):
    install_package(site, "old_kit", ("needs",), hook="pytest_floe_dbt_package_harness", mark="")
    site.makepyfile(test_user="def test_mine():\n    pass\n")
    # Without the kit: pluggy knows the hook (no "unknown hook" error), pytest warns.
    plain = site.runpytest_inprocess(*QUIET)
    plain.assert_outcomes(passed=1, warnings=1)
    plain.stdout.fnmatch_lines([f"*old_kit.py:*: PytestConfigWarning: {RETIRED_FIX}*"])
    # With it: refused, rather than certifying the runtime built some other way.
    kit = site.runpytest_inprocess("--floe-dbt-compliance", "--floe-dbt-runtime=needs", *QUIET)
    assert kit.ret == pytest.ExitCode.USAGE_ERROR
    kit.stderr.fnmatch_lines([f"*old_kit (old-kit 1.0): {RETIRED_FIX}*"])


BARE_AGAIN = """
from floe_dbt_compliance.building import build_harness
from floe_dbt_compliance.harness import close_harness


def test_second_instances(pytestconfig, tmp_path_factory):
    harness = build_harness(pytestconfig, "needs", "healthy", tmp_path_factory)
    second = harness.another()
    assert second is not harness.plugin and type(second) is type(harness.plugin)
    assert harness.database_path == harness.project_dir / "healthy.duckdb"
    import conftest
    assert conftest.PROJECTS == [harness.project_dir, harness.project_dir]
    close_harness(harness)
    assert conftest.CLOSED == 2


def test_options_need_a_factory(pytestconfig, tmp_path_factory):
    harness = build_harness(pytestconfig, "needs", "healthy", tmp_path_factory)
    harness.another(no_cache=True)
"""


def test_a_bare_runtime_is_wrapped_and_its_hook_asked_again_for_a_second_instance(site):
    site.makeconftest(
        "import fake_dbt\n\nPROJECTS = []\nCLOSED = 0\n\n"
        "class Closing(fake_dbt.Fake):\n"
        "    def close(self):\n        global CLOSED\n        CLOSED += 1\n\n"
        "def pytest_floe_dbt_harness(name, project):\n"
        "    PROJECTS.append(project.project_dir)\n"
        "    return Closing(built_by='conftest')\n"
    )
    site.makepyfile(test_again=BARE_AGAIN)
    result = site.runpytest_inprocess("--floe-dbt-runtime=needs", *QUIET)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*needs an instance of runtime 'needs' built with {'no_cache': True}: give*factory*"]
    )


KIT = ("--floe-dbt-compliance", "--floe-dbt-report=report", "-k", "needs", *QUIET)


def test_by_default_the_kit_skips_what_it_cannot_build_and_says_why(site):
    result = site.runpytest_inprocess(*KIT)
    assert result.ret == pytest.ExitCode.OK
    document = certificate(site, "needs")
    assert document["verdict"] == "incomplete"
    reasons = {row["status"]: row["reason"] for row in rows(document).values()}
    assert set(reasons) == {"skipped"}, reasons
    assert reasons["skipped"].startswith(
        "not certified here: the kit cannot build runtime 'needs' (fake_dbt:Fake) with no "
        "arguments: its constructor needs built_by"
    )
    assert "--floe-dbt-runtime did not name it" in reasons["skipped"]
    output = result.stdout.str()
    assert "needs (fake_dbt:Fake): incomplete" in output
    assert "skip interface." in output
    assert "its constructor needs built_by" in output


def test_a_named_runtime_the_kit_cannot_build_fails_every_row_with_the_hook_to_write(site):
    result = site.runpytest_inprocess("--floe-dbt-runtime=needs", *KIT)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    document = certificate(site, "needs")
    assert document["verdict"] == "not certified"
    for row in rows(document).values():
        assert row["status"] == "failed"
        assert "its constructor needs built_by" in row["reason"]
        assert "def pytest_floe_dbt_harness(name, project, tmp_path_factory)" in row["reason"]


def test_for_project_builds_instances_from_a_factory_and_closes_them(tmp_path: Path):
    from floe_dbt_compliance.harness import WAREHOUSE, RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy

    closed: list[int] = []

    class Runtime:
        def __init__(self, number: int, **options: object) -> None:
            self.number, self.options = number, options

        def close(self) -> None:
            closed.append(self.number)

    built = iter(range(10))
    copy = ProjectCopy("shop", tmp_path / "shop", tmp_path / "profiles", "ci")
    released: list[str] = []
    harness = RuntimeHarness.for_project(
        copy,
        lambda **options: Runtime(next(built), **options),  # type: ignore[arg-type,return-value]
        secrets=["s3cret"],
        close=lambda: released.append("done"),
    )
    assert (harness.project_dir, harness.profiles_dir, harness.target) == (
        copy.project_dir,
        copy.profiles_dir,
        "ci",
    )
    assert harness.database_path == tmp_path / "shop" / "shop.duckdb"
    assert harness.plugin.number == 0  # type: ignore[attr-defined]
    assert harness.another(no_cache=True).options == {"no_cache": True}  # type: ignore[attr-defined]
    assert harness.secrets == ("s3cret",)
    assert harness.cache_root is None
    assert harness.remote_calls is None
    harness.close()  # type: ignore[misc]
    assert closed == [1, 0]
    assert released == ["done"]

    hidden = RuntimeHarness.for_project(
        copy,
        lambda: Runtime(99),
        unobservable={WAREHOUSE: "remote"},  # type: ignore[arg-type,return-value]
    )
    # What the kit cannot observe is data the gate reads (tests/kit/test_kit_catalogue.py).
    assert hidden.database_path is None
    assert hidden.unobservable == {WAREHOUSE: "remote"}


def test_a_harness_serves_other_projects_with_its_own_instance_unless_it_says_how(
    tmp_path: Path,
):
    from floe_dbt_compliance.harness import RuntimeHarness
    from floe_dbt_compliance.projects import ProjectCopy

    first = ProjectCopy("shop", tmp_path / "shop", tmp_path / "shop")
    other = ProjectCopy("stock", tmp_path / "stock", tmp_path / "stock")
    runtime = object()
    same = RuntimeHarness.for_project(first, lambda: runtime)  # type: ignore[arg-type,return-value]
    assert same.instance_for(other) is runtime
    served: list[ProjectCopy] = []

    def serve(copy: ProjectCopy) -> object:
        served.append(copy)
        return ("instance for", copy.name)

    bound = RuntimeHarness.for_project(
        first,
        lambda: runtime,  # type: ignore[arg-type,return-value]
        serve_project=serve,  # type: ignore[arg-type]
    )
    assert bound.instance_for(other) == ("instance for", "stock")
    assert served == [other]
