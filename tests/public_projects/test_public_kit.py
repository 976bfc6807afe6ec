"""``--floe-dbt-project`` on a public project nobody here wrote, with an installed package.

``dagster-dbt-dependencies`` (``projects.toml``): one model of its own reading
a package that lives beside it (``local: ../jaffle_shop``, installed by
``dbt deps`` as a link), which brings five models, three seeds and their
tests. The kit must certify the correct runtimes on it (``cloud`` too, whose
emulated runs install the package again with ``dbt deps`` from the copy: the
package beside the project must be copied beside it), refuse one that drops a
node of the *package* with that node named, and leave the project (its
installed package included) unchanged, the same files with the same bytes;
on DuckDB and on PostgreSQL (the session's server, or one of the test's own).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kit.conftest import certificate, harness_conftest, install_acme, rows, snapshot
from kit.variants import ALL_VARIANTS, USER_VARIANTS
from public_archives import load_manifest, unpacked
from public_paths import install_packages, prepare

pytest_plugins = ("pytester",)
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

PROJECT = next(project for project in load_manifest() if project.id == "dagster-dbt-dependencies")
ROWS = ("project.agrees", "project.lifecycle")
DROPPED = "model.jaffle_shop.stg_payments"  # acme-drops-one-node's node, the package's here


@pytest.mark.parametrize("warehouse", ["duckdb", "postgres"])
def test_a_public_project_with_a_package_certifies_the_correct_runtime_only(
    warehouse: str,
    pytester: pytest.Pytester,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if warehouse == "postgres":  # the same server for the runtimes and the reference
        server = request.getfixturevalue("postgres_server")
        for key, value in server.environ().items():
            monkeypatch.setenv(key, value)
    install_acme(pytester.path, ALL_VARIANTS)
    pytester.makeconftest(harness_conftest(ALL_VARIANTS))
    pytester.syspathinsert()
    workspace = prepare(PROJECT, unpacked(PROJECT), pytester.path / "mine")
    install_packages(workspace)  # the user's step, before the kit is called
    project = workspace.project_dir
    assert (project / "dbt_packages" / "jaffle_shop").is_symlink()
    before = snapshot(project)
    package_before = snapshot(project / "dbt_packages" / "jaffle_shop")
    cache = os.environ.get("FLOE_DBT_REFERENCE_CACHE") or tmp_path_factory.mktemp("reference")

    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    args.append(f"--floe-dbt-warehouse={warehouse}")
    args += [f"--floe-dbt-reference-cache={Path(cache).resolve()}", f"--floe-dbt-project={project}"]
    for name in ["acme", "cloud", *USER_VARIANTS]:
        args += [f"--floe-dbt-runtime={name}"]
        args += [f"--floe-dbt-requirement={name}:{row}" for row in ROWS]
    result = pytester.runpytest_inprocess(*args)
    output = result.stdout.str()

    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert snapshot(project) == before
    assert snapshot(project / "dbt_packages" / "jaffle_shop") == package_before
    for name in ("acme", "cloud"):
        correct = certificate(pytester, name)
        found = {key: rows(correct)[key]["status"] for key in ROWS}
        assert found == dict.fromkeys(ROWS, "passed"), rows(correct)
        assert correct["oracle"]["projects"] == (
            f"test_dagster_dbt_dependencies ({project.resolve()})"
        )
        assert correct["oracle"]["warehouse"].startswith(warehouse)
    for name, variant in USER_VARIANTS.items():
        found = rows(certificate(pytester, name))
        assert {key for key in ROWS if found[key]["status"] == "failed"} == set(variant.rows)
        for key in variant.rows:
            differences = [
                (difference["what"], difference["expected"])
                for finding in found[key]["findings"]
                for difference in finding["differences"]
            ]
            # success on the reference: the package's seeds were loaded before its models ran
            assert (f"node {DROPPED}", "success") in differences, differences
            relations = [what for what, _ in differences if what.startswith("relation ")]
            assert any(what.split()[1].endswith(".stg_payments") for what in relations), relations
            assert DROPPED in found[key]["reason"]
