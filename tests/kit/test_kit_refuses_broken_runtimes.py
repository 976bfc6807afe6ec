"""The kit certifies a correct third-party runtime and refuses each broken variant on its rows.

Every row of the promise catalogue is proven by at least one broken variant
of ``acme`` (``variants.VARIANTS``) that the kit refuses on exactly the rows
it declares. Variants are grouped into a few pytester sessions; in each,
every variant runs only its declared rows plus the rows that cost nothing
more (those whose scenario steps its rows already run, and the rows that run
no dbt), via ``--floe-dbt-requirement VARIANT:ROW``, and must fail exactly
its declared rows and pass (or be n/a on) the others. Which rows cost
nothing more is read from the rows' declarations (the steps each reads, what
each observes), never from a table of this module. The reference's outcomes
are shared by every session (``--floe-dbt-reference-cache``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_dbt_compliance.catalogue import REQUIREMENTS
from floe_dbt_compliance.declaration import Observes, Reads

from .conftest import certificate, rows
from .variants import EVERY_VARIANT, VARIANTS

pytest_plugins = ("pytester",)

#: Rows that run no dbt: run beside every variant's rows, for free.
STATIC_ROWS = tuple(key for key, row in REQUIREMENTS.items() if row.observes is Observes.RUNTIME)
#: Every row that reads scenario steps: row -> (scenario, steps) pairs.
STEPS: dict[str, Reads] = {key: row.reads for key, row in REQUIREMENTS.items() if row.reads}
GROUPS = {
    "interface-compile-errors": ("broken_interface", "broken_compile", "broken_errors"),
    "run": ("broken_run", "broken_config"),
    "results": ("broken_results",),
    "observability": ("broken_observability",),
    "concurrency": ("broken_concurrency",),
    "cache": ("broken_cache",),
    "projects": ("broken_projects",),
    "lifecycle": ("broken_lifecycle",),
    "run-flags": ("broken_run_flags",),
}
GENERATED = ("--floe-dbt-examples=4", "--floe-dbt-seed=20261201")


def _reach(keys: tuple[str, ...]) -> dict[str, int]:
    """How far into each scenario these rows run."""
    reach: dict[str, int] = {}
    for key in keys:
        for scenario, steps in STEPS.get(key, ()):
            last = max(scenario.index(step) for step in steps)
            reach[scenario.name] = max(reach.get(scenario.name, -1), last)
    return reach


def rows_run(declared: tuple[str, ...]) -> set[str]:
    """The declared rows, and every row they make free."""
    reach = _reach(declared)
    free = {
        key
        for key, pairs in STEPS.items()
        if all(
            scenario.name in reach and max(scenario.index(s) for s in steps) <= reach[scenario.name]
            for scenario, steps in pairs
        )
    }
    return {*declared, *STATIC_ROWS, *free}


def _members(group: str) -> list[str]:
    modules = GROUPS[group]
    return [name for name, v in VARIANTS.items() if v.target.partition(":")[0] in modules]


def test_every_row_is_proven_by_a_variant_and_every_variant_is_in_a_session():
    # PostgreSQL's and the user projects' variants have sessions of their own
    # (test_kit_postgres.py, test_kit_user_project.py).
    declared = {row for variant in EVERY_VARIANT.values() for row in variant.rows}
    assert declared <= set(REQUIREMENTS), declared - set(REQUIREMENTS)
    assert set(REQUIREMENTS) == declared, f"rows no variant proves: {set(REQUIREMENTS) - declared}"
    grouped = [name for group in GROUPS for name in _members(group)]
    generated = [n for n, v in VARIANTS.items() if v.target.startswith("broken_generated:")]
    assert sorted(grouped + generated) == sorted(VARIANTS)
    assert len(VARIANTS) >= 50


def test_every_variant_class_exists_and_overrides_the_correct_runtime():
    package = Path(__file__).parent / "acme_dbt"
    for variant in EVERY_VARIANT.values():
        module, _, attribute = variant.target.partition(":")
        source = (package / f"{module}.py").read_text(encoding="utf-8")
        defined = (f"class {attribute}(", f"class {attribute}:", f"def {attribute}(")
        assert any(text in source for text in defined), variant.target


def test_free_rows_follow_the_scenario_steps():
    assert set(STATIC_ROWS) == {
        "interface.subclass",
        "interface.signatures",
        "interface.entry-point",
        "metadata.type",
        "secrets.repr",
    }
    later = rows_run(("run.exclude",))
    assert later >= {"run.select", "run.full-refresh", "interface.subclass"}
    assert "run.exclude" not in rows_run(("run.select",))
    assert "run.all" not in later  # another scenario
    assert rows_run(("cache.hit",)) == {"cache.hit", *STATIC_ROWS}


def _session_args(pytester: pytest.Pytester, names: list[str], cache: Path) -> list[str]:
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    args.append(f"--floe-dbt-reference-cache={cache}")
    for name in names:
        args.append(f"--floe-dbt-runtime={name}")
        args += [
            f"--floe-dbt-requirement={name}:{row}" for row in sorted(rows_run(VARIANTS[name].rows))
        ]
    return args


def _assert_refused_exactly(pytester: pytest.Pytester, names: list[str], output: str) -> None:
    problems = []
    for name in names:
        document = certificate(pytester, name)
        found = rows(document)
        failed = {key for key, row in found.items() if row["status"] == "failed"}
        declared = set(VARIANTS[name].rows)
        if document["verdict"] != "not certified" or failed != declared:
            others = {
                key: (row["status"], row["reason"][:300])
                for key, row in found.items()
                if key in failed ^ declared
            }
            problems.append(
                f"{name}: failed {sorted(failed)}, declared {sorted(declared)}: {others}"
            )
            continue
        for key in declared:
            assert found[key]["reason"], (name, key)
            assert f"FAIL {key}: " in output.split(f"\n{name} (acme_dbt")[1], (name, key)
        ran = {key for key, row in found.items() if row["status"] != "not run"}
        assert ran <= rows_run(VARIANTS[name].rows), (name, ran - rows_run(VARIANTS[name].rows))
    assert not problems, "\n".join(problems)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_broken_runtimes_are_refused_on_exactly_their_rows(
    kit_dir: pytest.Pytester, group: str, reference_cache: Path
):
    names = _members(group)
    result = kit_dir.runpytest_inprocess(*_session_args(kit_dir, names, reference_cache))
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]
    _assert_refused_exactly(kit_dir, names, result.stdout.str())


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_generated_projects_refuse_what_the_fixture_scenarios_miss(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    names = [n for n, v in VARIANTS.items() if v.target.startswith("broken_generated:")]
    args = ["--floe-dbt-compliance", "--floe-dbt-report=report", "-p", "no:cacheprovider"]
    # one shrinking step proves the reproducer is the smallest found; more only costs time
    args += [f"--floe-dbt-reference-cache={reference_cache}", *GENERATED, "--floe-dbt-shrink=1"]
    for name in names:
        args += [f"--floe-dbt-runtime={name}", f"--floe-dbt-requirement={name}:generated.agrees"]
        # what the fixture scenarios check about selectors passes: only generated projects see it
        args += [f"--floe-dbt-requirement={name}:run.selector-syntax"]
    result = kit_dir.runpytest_inprocess(*args)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    for name in names:
        found = rows(certificate(kit_dir, name))
        assert found["run.selector-syntax"]["status"] == "passed", (
            name,
            found["run.selector-syntax"],
        )
        row = found["generated.agrees"]
        assert row["status"] == "failed", (name, row)
        assert "the smallest generated project found" in row["reason"] or row["findings"], row
        reproducer = kit_dir.path / "report" / name / "generated-reproducer" / "dbt_project.yml"
        assert reproducer.is_file(), name
    assert "replay: pytest --floe-dbt-compliance" in output


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_correct_runtime_is_certified(kit_dir: pytest.Pytester, reference_cache: Path):
    result = kit_dir.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=acme",
        "--floe-dbt-report=report",
        f"--floe-dbt-reference-cache={reference_cache}",
        "-p",
        "no:cacheprovider",
        *GENERATED,
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-5000:]
    document = certificate(kit_dir, "acme")
    assert document["verdict"] == "certified"
    statuses = {key: row["status"] for key, row in rows(document).items()}
    assert statuses.pop("concurrency.parallel") == "n/a"
    # No --floe-dbt-project: the rows on the user's own projects do not apply.
    assert (statuses.pop("project.agrees"), statuses.pop("project.lifecycle")) == ("n/a", "n/a")
    # acme runs dbt itself: no remote service, so the conversation rows do not apply.
    remote = sorted(key for key in statuses if key.startswith("remote."))
    assert len(remote) >= 8, remote
    assert {statuses.pop(key) for key in remote} == {"n/a"}
    assert set(statuses.values()) == {"passed"}, statuses
    assert document["runtime"] == {
        "name": "acme",
        "class": "acme_dbt:AcmeRuntime",
        "metadata": {"type": "acme", "cache": True},
    }
    assert document["oracle"]["seed"] == 20261201
    assert document["oracle"]["examples"] == 4
    assert "plain dbt-core" in document["oracle"]["reference"]
    markdown = (kit_dir.path / "report" / "acme" / "certificate.md").read_text()
    assert "**Verdict: certified**" in markdown
    assert "| `lifecycle.snapshot`" in markdown
    badge = (kit_dir.path / "report" / "acme" / "badge.svg").read_text()
    assert "floe-dbt acme: certified" in badge
    assert "acme (acme_dbt:AcmeRuntime): certified" in output


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_runtime_without_the_lifecycle_capability_is_compliant(
    kit_dir: pytest.Pytester, reference_cache: Path
):
    lifecycle = [key for key in REQUIREMENTS if key.startswith("lifecycle.")]
    run_flags = [key for key in REQUIREMENTS if key.startswith(("fail-fast.", "state."))]
    result = kit_dir.runpytest_inprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-runtime=acme-basic",
        "--floe-dbt-report=report",
        f"--floe-dbt-reference-cache={reference_cache}",
        "-p",
        "no:cacheprovider",
        *(f"--floe-dbt-requirement={key}" for key in [*lifecycle, *run_flags, *STATIC_ROWS]),
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    found = rows(certificate(kit_dir, "acme-basic"))
    for key in lifecycle:
        assert found[key]["status"] == "n/a", (key, found[key])
        assert "does not declare the lifecycle capability" in found[key]["reason"]
    for key in run_flags:
        capability = "fail-fast" if key.startswith("fail-fast.") else "state"
        assert found[key]["status"] == "n/a", (key, found[key])
        assert f"does not declare the {capability} capability" in found[key]["reason"]
    assert {found[key]["status"] for key in STATIC_ROWS} == {"passed"}
