"""The kit refuses each broken cloud runtime on exactly the conversation rows it breaks.

The ``remote.*`` rows read the bundled emulator's request log under faults
the kit injects; each variant (``variants.CLOUD_VARIANTS``, subclasses of the
correct ``DBTCloudPlugin`` in ``acme_dbt/broken_cloud.py``) talks to dbt Cloud
wrongly in one way. One session, every variant built by the bundled cloud
harness (``EmulatorHarness.harness(..., runtime_class=...)``) from a conftest,
each running its declared rows and one row it keeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_dbt_compliance.catalogue import REQUIREMENTS

from .conftest import certificate, install_acme, rows
from .variants import CLOUD_VARIANTS

pytest_plugins = ("pytester",)

CONFTEST = """
import importlib

CLASSES = {classes!r}
CONFIG = []


def pytest_configure(config):
    CONFIG.append(config)


def pytest_floe_dbt_harness(name, project, tmp_path_factory):
    if name not in CLASSES:
        return None
    module, _, attribute = CLASSES[name].partition(":")
    runtime = getattr(importlib.import_module(module), attribute)
    bundled = CONFIG[0].pluginmanager.get_plugin("floe_dbt_cloud_kit.session")
    return bundled.harness(project, tmp_path_factory, runtime_class=runtime)
"""
#: The row each variant keeps, run beside the rows it breaks (cheap ones).
KEPT = {"cloud-retries-answers": "remote.trigger-once"}
KEEPS = "remote.no-retry-answers"
#: The seed make certify runs; it plans an artifact fault on the run call (as every seed does).
CHAOS_SEED = 7


def test_every_remote_row_is_proven_by_a_cloud_variant() -> None:
    remote = {key for key in REQUIREMENTS if key.startswith("remote.")}
    assert len(remote) == 9
    assert remote == {row for variant in CLOUD_VARIANTS.values() for row in variant.rows}
    for name, variant in CLOUD_VARIANTS.items():
        assert KEPT.get(name, KEEPS) not in variant.rows, name


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_broken_cloud_runtimes_are_refused_on_exactly_their_rows(
    pytester: pytest.Pytester, reference_cache: Path
) -> None:
    install_acme(pytester.path, CLOUD_VARIANTS)
    classes = {name: "acme_dbt." + variant.target for name, variant in CLOUD_VARIANTS.items()}
    pytester.makeconftest(CONFTEST.format(classes=classes))
    pytester.syspathinsert()
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    args.append(f"--floe-dbt-chaos={CHAOS_SEED}")
    args.append(f"--floe-dbt-reference-cache={reference_cache}")
    for name, variant in CLOUD_VARIANTS.items():
        args.append(f"--floe-dbt-runtime={name}")
        for row in (*variant.rows, KEPT.get(name, KEEPS)):
            args.append(f"--floe-dbt-requirement={name}:{row}")
    result = pytester.runpytest_inprocess(*args)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    problems = []
    for name, variant in CLOUD_VARIANTS.items():
        found = rows(certificate(pytester, name))
        failed = {key for key, row in found.items() if row["status"] == "failed"}
        kept = found[KEPT.get(name, KEEPS)]
        if failed != set(variant.rows) or kept["status"] != "passed":
            problems.append(
                f"{name}: failed {sorted(failed)}, declared {sorted(variant.rows)}, kept "
                f"{kept['status']}: "
                + str({k: r["reason"][:300] for k, r in found.items() if r["status"] == "failed"})
            )
    assert not problems, "\n".join(problems) + "\n" + output[-3000:]
    # The certificate lists the faults that fired under chaos, not only the seed's plan.
    for name, variant in CLOUD_VARIANTS.items():
        oracle = certificate(pytester, name)["oracle"]
        if "remote.chaos" not in variant.rows:
            assert "chaos_injected" not in oracle, name
            continue
        injected = oracle["chaos_injected"]
        assert injected["seed"] == CHAOS_SEED, injected
        assert injected["faults"], injected
        for fault in injected["faults"]:
            assert set(fault) == {"call", "fault", "request", "method", "path", "attempt"}
            assert fault["path"].startswith("/api/v2/accounts/"), fault
