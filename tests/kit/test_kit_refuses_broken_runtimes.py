"""The kit certifies a correct third-party runtime and refuses each broken variant.

Every broken variant in ``acme_dbt.VARIANTS`` breaks one promise; each
pytester session runs only the kit test of the requirement each variant
breaks (``-k "(test and runtime) or ..."``), so a session costs a few dbt
invocations per variant. Each variant must be "not certified", with the
broken requirement's row failed and named in the terminal summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import certificate, rows
from .variants import VARIANTS

pytest_plugins = ("pytester",)

# requirement key -> the kit test that checks it
KIT_TESTS = {
    "contract.compile": "test_compile",
    "contract.run-select": "test_run_select",
    "contract.run-exclude": "test_run_exclude",
    "contract.run-full-refresh": "test_run_full_refresh",
    "contract.test-pass": "test_tests_pass",
    "contract.test-fail": "test_failing_test",
    "contract.sql-error": "test_sql_error",
    "contract.unparseable": "test_unparseable",
    "contract.spans": "test_spans",
    "contract.metadata": "test_metadata",
    "contract.latest-artifacts": "test_latest_artifacts",
    "contract.signatures": "test_signatures",
    "contract.result-paths": "test_result_paths",
    "concurrency.serialised": "test_serialised",
    "cache.expiry": "test_expiry",
    "cache.disabled": "test_disabled",
    "cache.no-cache": "test_no_cache",
    "cache.no-secret": "test_no_secret",
    "cache.private": "test_private",
    "cache.corrupt": "test_corrupt",
}
GROUPS = {
    "contract-a": [
        "acme-wrong-manifest-path",
        "acme-ignores-select",
        "acme-ignores-exclude",
        "acme-ignores-full-refresh",
        "acme-wrong-signature",
    ],
    "contract-b": [
        "acme-wrong-counts",
        "acme-no-span",
        "acme-secret-in-metadata",
        "acme-secret-in-repr",
        "acme-stale-latest",
        "acme-zero-time",
    ],
    "errors": ["acme-hides-failed-test", "acme-raises-on-sql-error", "acme-wrong-exception"],
    "serialisation": ["acme-no-lock", "acme-per-instance-lock", "acme-cannot-say-parallel"],
    "cache": [
        "acme-stale-cache",
        "acme-ignores-disable-cache",
        "acme-ignores-no-cache",
        "acme-secret-in-cache",
        "acme-loose-cache-modes",
        "acme-crashes-on-corrupt-cache",
    ],
}


def test_every_variant_is_in_a_group_and_at_least_twelve_exist():
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(VARIANTS)
    assert len(VARIANTS) >= 12
    assert {key for _cls, key in VARIANTS.values()} <= set(KIT_TESTS)
    source = (Path(__file__).parent / "acme_dbt.py").read_text()
    for cls, _key in VARIANTS.values():
        assert f"class {cls}(AcmeRuntime):" in source


@pytest.mark.integration
@pytest.mark.timeout(600)
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_broken_runtimes_are_refused(kit_dir: pytest.Pytester, group: str):
    names = GROUPS[group]
    selection = " or ".join(f"({KIT_TESTS[VARIANTS[name][1]]} and {name})" for name in names)
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    for name in names:
        args.append(f"--floe-dbt-runtime={name}")
    result = kit_dir.runpytest_inprocess(*args, "-k", selection)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    for name in names:
        key = VARIANTS[name][1]
        document = certificate(kit_dir, name)
        row = rows(document)[key]
        assert document["verdict"] == "not certified", name
        assert row["status"] == "failed", (name, row)
        assert row["reason"], (name, row)
        summary = output.split(f"\n{name} (acme_dbt:")[1]
        assert re.search(rf"FAIL {re.escape(key)}: \S", summary), (name, summary[:2000])


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_correct_runtime_is_certified(kit_dir: pytest.Pytester):
    result = kit_dir.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=acme",
        "--floe-dbt-report=report",
        "-p",
        "no:cacheprovider",
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output
    document = certificate(kit_dir, "acme")
    assert document["verdict"] == "certified"
    statuses = {key: row["status"] for key, row in rows(document).items()}
    assert statuses.pop("concurrency.parallel") == "n/a"
    assert set(statuses.values()) == {"passed"}, statuses
    assert document["runtime"] == {
        "name": "acme",
        "class": "acme_dbt:AcmeRuntime",
        "metadata": {"type": "acme", "cache": True},
    }
    assert document["environment"]["dbt_version"]
    markdown = (kit_dir.path / "report" / "acme" / "certificate.md").read_text()
    assert "**Verdict: certified**" in markdown
    assert "| `cache.expiry`" in markdown
    badge = (kit_dir.path / "report" / "acme" / "badge.svg").read_text()
    assert "floe-dbt acme: certified" in badge
    assert "acme (acme_dbt:AcmeRuntime): certified" in output
