"""The kit reports while it works, keeps a complete certificate, lists its rows, and writes
nothing but its report (issue 23), each seen from outside with pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from floe_dbt_compliance.catalogue import REQUIREMENTS

pytest_plugins = ("pytester",)

KIT = ("--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider")
COMPLETE = ("certificate.json", "certificate.md", "badge.svg")
PARTIAL = ("certificate.partial.json", "certificate.partial.md")


def test_list_requirements_prints_each_key_on_one_line_and_runs_nothing(
    pytester: pytest.Pytester,
):
    pytester.makepyfile(test_user="def test_never():\n    raise AssertionError\n")
    result = pytester.runpytest_inprocess("--floe-dbt-list-requirements")
    assert result.ret == pytest.ExitCode.OK
    lines = result.outlines
    assert [line.split()[0] for line in lines] == list(REQUIREMENTS)
    select = next(line for line in lines if line.startswith("run.select "))
    assert REQUIREMENTS["run.select"].title in select
    assert "lifecycle.seed " in "\n".join(lines)
    assert any(line.endswith("(needs lifecycle)") for line in lines)
    assert "test_never" not in result.stdout.str()
    assert not (pytester.path / ".floe").exists()


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_partial_sessions_never_overwrite_a_complete_certificate(pytester: pytest.Pytester):
    full = pytester.runpytest_inprocess(*KIT, "--floe-dbt-runtime=fusion")
    assert full.ret == pytest.ExitCode.OK
    directory = pytester.path / "report" / "fusion"
    complete = _files(directory)
    assert set(complete) == set(COMPLETE)
    assert f"certificate of fusion: {directory / 'certificate.json'}" in full.outlines
    assert "<runtime>" not in full.stdout.str()

    for args, reason in (
        (["--floe-dbt-requirement=run.select"], "checks were deselected"),
        (["-k", "subclass"], "checks were deselected"),
        (["--collect-only"], "--collect-only: nothing ran"),
    ):
        result = pytester.runpytest_inprocess(*KIT, "--floe-dbt-runtime=fusion", *args)
        assert result.ret == pytest.ExitCode.OK, args
        written = _files(directory)
        assert {name: written[name] for name in COMPLETE} == complete, args
        assert set(written) == {*COMPLETE, *PARTIAL}  # no partial badge
        document = json.loads(written["certificate.partial.json"])
        assert document["partial"].startswith(reason), args
        assert b"**Partial session**" in written["certificate.partial.md"]
        result.stdout.fnmatch_lines(
            [f"partial certificate of fusion ({reason}*): {directory}/certificate.partial.json;*"]
        )
    # -k selected every check of two rows: their statuses are the session's, others not run.
    ran = {row["key"] for row in document["requirements"] if row["status"] != "not run"}
    assert ran == set()  # --collect-only ran nothing

    again = pytester.runpytest_inprocess(*KIT, "--floe-dbt-runtime=fusion")
    assert again.ret == pytest.ExitCode.OK
    assert set(_files(directory)) == set(COMPLETE)  # a complete session clears the partial one


def test_a_line_per_row_as_it_finishes_with_what_remains(pytester: pytest.Pytester):
    result = pytester.runpytest_inprocess(*KIT, "--floe-dbt-runtime=fusion")
    lines = result.outlines
    assert f"floe-dbt: certifying fusion ({len(REQUIREMENTS)} rows):" in "\n".join(lines)
    rows = [line for line in lines if line.startswith("[fusion] ") and " rows, " in line]
    assert sorted(line.split()[1] for line in rows) == sorted(REQUIREMENTS)
    done = [int(line.split("rows, ")[0].split()[-1].split("/")[0]) for line in rows]
    assert done == list(range(1, len(REQUIREMENTS) + 1))
    assert rows[-1].split("rows, ")[1].startswith("0 to go")
    assert all(" n/i " in line for line in rows)
    assert any(line.startswith(f"[fusion] all {len(REQUIREMENTS)} rows in ") for line in lines)
    # The row lines replace pytest's dots and file names at default verbosity ...
    assert not any(line.startswith("suite_") for line in lines)
    # ... and with -v each check has its own line too.
    verbose = pytester.runpytest_inprocess(
        *KIT, "--floe-dbt-runtime=fusion", "-v", "--floe-dbt-requirement=run.select"
    )
    verbose.stdout.fnmatch_lines(
        [
            "*suite_scenarios.py::test_agrees_with_reference[[]fusion-run.select[]] SKIPPED*",
            "[[]fusion[]] run.select *n/i*1/1 rows, 0 to go*",
        ]
    )


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_row_lines_under_xdist_come_from_the_workers_plan(pytester: pytest.Pytester):
    result = pytester.runpytest_subprocess(
        *KIT,
        "--floe-dbt-runtime=fusion",
        "-n",
        "2",
        "--floe-dbt-requirement=run.select",
        "--floe-dbt-requirement=metadata.type",
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines_random(
        [
            "floe-dbt: certifying fusion (2 rows): 2 checks",
            "[[]fusion[]] metadata.type *n/i*",
            "[[]fusion[]] run.select *n/i*",
            "[[]fusion[]] all 2 rows in *: 2 n/i",
        ]
    )


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_nothing_is_written_into_the_working_directory_but_the_report(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    """Not hypothesis's cache (it keeps one even with no example database), not pytest's."""
    before = {path.name for path in kit_dir.path.iterdir()}
    result = kit_dir.runpytest_subprocess(
        *KIT,
        "--floe-dbt-runtime=acme",
        f"--floe-dbt-reference-cache={reference_cache}",
        "--floe-dbt-requirement=generated.agrees",
        "--floe-dbt-examples=2",  # the first draw is the simplest: no constants read
        "--floe-dbt-seed=23",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert "[acme] generated.agrees ..." in result.stdout.str()
    after = {path.name for path in kit_dir.path.iterdir()}
    # pytester's own: the subprocess's output and its --basetemp
    pytesters = {"stdout", "stderr", "runpytest-0", "runpytest-current"}
    assert after - before - pytesters == {"report"}
