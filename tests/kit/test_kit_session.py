"""The kit as a pytest plugin: options, collection, verdicts, exit codes, hook checks, xdist."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import certificate, rows

pytest_plugins = ("pytester",)

FAST = ("-p", "no:cacheprovider", "--floe-dbt-report=report")
USER_TEST = "def test_mine():\n    assert True\n"


def test_without_the_option_the_kit_only_registers_options(pytester: pytest.Pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "floe-dbt compliance" not in result.stdout.str()
    assert not (pytester.path / ".floe").exists()
    assert (
        pytester.runpytest_inprocess("--help").stdout.fnmatch_lines(
            ["*--floe-dbt-compliance*", "*--floe-dbt-runtime=NAME*", "*--floe-dbt-strict*"]
        )
        is None
    )


def test_a_conftest_implementing_the_hook_loads_without_the_option(pytester: pytest.Pytester):
    pytester.makeconftest("def pytest_floe_dbt_harness(name, tmp_path_factory):\n    return None\n")
    pytester.makepyfile(test_user=USER_TEST)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_explicit_paths_collect_the_users_tests_and_the_suites(pytester: pytest.Pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", "--co", "-q", "test_user.py", *FAST
    )
    output = result.stdout.str()
    assert "test_user.py::test_mine" in output
    assert "suite_contract.py::test_subclass[fusion]" in output
    assert "suite_scenarios.py::test_agrees_with_reference[fusion-run.all]" in output
    assert "suite_cache.py::test_expiry[fusion]" in output


def test_without_paths_only_the_suites_run_not_testpaths(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\ntestpaths = mine\n")
    pytester.mkdir("mine")
    (pytester.path / "mine" / "test_fails.py").write_text("def test_no():\n    assert False\n")
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", *FAST
    )
    assert result.ret == pytest.ExitCode.OK
    assert "test_fails" not in result.stdout.str()


def test_a_placeholder_runtime_is_not_implemented_and_fails_only_when_strict(
    pytester: pytest.Pytester,
):
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", *FAST
    )
    assert result.ret == pytest.ExitCode.OK
    document = certificate(pytester, "fusion")
    assert document["verdict"] == "not implemented"
    assert document["runtime"]["class"] == "floe_dbt_fusion:DBTFusionPlugin"
    for row in rows(document).values():
        assert row["status"] == "not implemented"
        assert row["reason"].startswith("dbt Fusion Python bindings")
    assert "fusion (floe_dbt_fusion:DBTFusionPlugin): not implemented" in result.stdout.str()

    strict = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", "--floe-dbt-strict", *FAST
    )
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    assert certificate(pytester, "fusion")["verdict"] == "not certified"
    assert (
        "floe-dbt fusion: not certified"
        in (pytester.path / "report" / "fusion" / "badge.svg").read_text()
    )


def test_an_unknown_runtime_is_a_usage_error(pytester: pytest.Pytester):
    result = pytester.runpytest_inprocess("--floe-dbt-compliance", "--floe-dbt-runtime=nope", *FAST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--floe-dbt-runtime nope: no such floe.dbt runtime*local*"])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--floe-dbt-reference=nope", "*--floe-dbt-reference nope: neither 'dbt-core' nor*local*"),
        ("--floe-dbt-examples=-1", "*--floe-dbt-examples -1: give 0 or more*"),
        ("--floe-dbt-shrink=-1", "*--floe-dbt-shrink -1: give 0 or more*"),
        ("--floe-dbt-requirement=run.nope", "*--floe-dbt-requirement run.nope: no such row*"),
        ("--floe-dbt-requirement=local:x.y", "*--floe-dbt-requirement local:x.y: no such row*"),
    ],
)
def test_oracle_options_are_checked(pytester: pytest.Pytester, option: str, message: str):
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=fusion", option, *FAST
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_requirement_selection_runs_only_those_rows(pytester: pytest.Pytester):
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=fusion",
        "--floe-dbt-requirement=fusion:interface.subclass",
        "--floe-dbt-requirement=metadata.type",
        *FAST,
    )
    assert result.ret == pytest.ExitCode.OK
    found = rows(certificate(pytester, "fusion"))
    ran = {key for key, row in found.items() if row["status"] != "not run"}
    assert ran == {"interface.subclass", "metadata.type"}
    assert "deselected" in result.stdout.str()


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_xdist_gives_the_same_verdicts_and_one_merged_certificate(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    args = [
        "--floe-dbt-compliance",
        f"--floe-dbt-reference-cache={reference_cache}",
        "--floe-dbt-runtime=acme",
        "--floe-dbt-runtime=fusion",
        "--floe-dbt-seed=7",
        *(
            f"--floe-dbt-requirement={key}"
            for key in (
                "interface.subclass",
                "interface.signatures",
                "interface.entry-point",
                "test.fail",
                "run.sql-error",
            )
        ),
        "-p",
        "no:cacheprovider",
    ]
    serial = kit_dir.runpytest_inprocess(*args, "--floe-dbt-report=serial")
    parallel = kit_dir.runpytest_subprocess(*args, "--floe-dbt-report=parallel", "-n", "2")
    assert serial.ret == parallel.ret == pytest.ExitCode.OK
    assert "2 workers" in parallel.stdout.str() or "gw1" in parallel.stdout.str()
    for runtime in ("acme", "fusion"):
        one, two = (
            certificate(kit_dir, runtime, "serial"),
            certificate(kit_dir, runtime, "parallel"),
        )
        assert one["verdict"] == two["verdict"]
        assert {k: (r["status"], r["tests"]) for k, r in rows(one).items()} == {
            k: (r["status"], r["tests"]) for k, r in rows(two).items()
        }
        assert one["oracle"]["seed"] == two["oracle"]["seed"] == 7
    acme = rows(certificate(kit_dir, "acme", "parallel"))
    assert acme["run.sql-error"]["status"] == "passed"
    assert acme["test.fail"]["status"] == "passed"
    assert acme["metadata.type"]["status"] == "not run"
    assert certificate(kit_dir, "acme", "parallel")["verdict"] == "incomplete"
    assert "plain dbt-core" in certificate(kit_dir, "acme", "parallel")["oracle"]["reference"]


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_a_registered_runtime_can_be_the_reference(kit_dir: pytest.Pytester):
    result = kit_dir.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=acme",
        "--floe-dbt-runtime=acme-ignores-select",
        "--floe-dbt-reference=local",
        "--floe-dbt-requirement=run.select",
        "--floe-dbt-report=report",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]
    assert rows(certificate(kit_dir, "acme"))["run.select"]["status"] == "passed"
    broken = certificate(kit_dir, "acme-ignores-select")
    assert rows(broken)["run.select"]["status"] == "failed"
    assert "the runtime 'local'" in rows(broken)["run.select"]["reason"]
    assert broken["oracle"]["reference"] == "the runtime 'local' (--floe-dbt-reference local)"


def test_xdist_work_units_are_module_and_runtime():
    from floe_dbt_compliance.kit import runtime_scope

    assert runtime_scope("s/suite_cache.py::test_hit[cloud]") == "s/suite_cache.py[cloud]"
    assert runtime_scope("tests/test_user.py::TestX::test_y") == "tests/test_user.py"


@pytest.mark.parametrize("nested", [False, True], ids=["the file", "under the file"])
def test_a_report_option_naming_a_file_is_refused_before_anything_runs(
    pytester: pytest.Pytester, nested: bool
):
    """Hardening round 2: every row passed, then the session ended in NotADirectoryError."""
    (pytester.path / "report.txt").write_text("not a directory")
    given = "report.txt/certificates" if nested else "report.txt"
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=fusion",
        f"--floe-dbt-report={given}",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    file = pytester.path / "report.txt"
    where = (
        f"{file / 'certificates'} is a file, not a directory ({file} is)"
        if nested
        else (f"{file} is a file, not a directory")
    )
    result.stderr.fnmatch_lines(
        [
            f"ERROR: --floe-dbt-report {given}: {where}; name a directory for the certificates "
            "(it is created if it does not exist)"
        ]
    )
    assert "collected" not in result.stdout.str()  # nothing ran
    assert (pytester.path / "report.txt").read_text() == "not a directory"
