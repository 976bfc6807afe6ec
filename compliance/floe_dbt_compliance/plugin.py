"""The pytest plugin entry point (``pytest11``).

pytest loads this module in every session of everyone who installs floe-dbt,
so without ``--floe-dbt-compliance`` it only registers its options and its
hook specification (a conftest or a package implementing
``pytest_floe_dbt_harness`` must validate even when the kit is off). With the
option it registers the :class:`~floe_dbt_compliance.kit.ComplianceKit` and
the kit's fixtures, and adds the kit's suites to what pytest collects: only
the suites when no path was given on the command line (a project's
``testpaths`` do not run), the suites and the given paths otherwise.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("floe_dbt_compliance.suites")

DEFAULT_REPORT_DIR = ".floe/compliance"
SUITES_DIR = Path(__file__).resolve().parent / "suites"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--floe-dbt-*`` options; nothing else happens without them."""
    group = parser.getgroup("floe-dbt", "floe-dbt compliance kit")
    group.addoption(
        "--floe-dbt-compliance",
        action="store_true",
        default=False,
        help="Collect the floe-dbt compliance suites and certify the selected dbt runtimes.",
    )
    group.addoption(
        "--floe-dbt-runtime",
        action="append",
        default=[],
        metavar="NAME",
        help="Certify this floe.dbt runtime (repeatable); default: every installed one.",
    )
    group.addoption(
        "--floe-dbt-report",
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"Where certificates go, one directory per runtime (default {DEFAULT_REPORT_DIR}).",
    )
    group.addoption(
        "--floe-dbt-strict",
        action="store_true",
        default=False,
        help="Anything short of certified (a skipped mandatory requirement, a runtime that is "
        "not implemented) fails the session.",
    )
    group.addoption(
        "--floe-dbt-warehouse",
        choices=("duckdb", "postgres"),
        default="duckdb",
        help="Where the kit's projects run, on the runtime and the reference alike: 'duckdb' "
        "(default: a file per project copy) or 'postgres' (a scratch schema per project copy "
        "on the server libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE name).",
    )
    group.addoption(
        "--floe-dbt-project",
        action="append",
        default=[],
        metavar="PATH",
        help="Also certify on this dbt project of yours (repeatable): copied, never touched in "
        "place, run on a scratch target the kit owns and compared with plain dbt-core. Install "
        "its packages first (dbt deps).",
    )
    _add_oracle_options(group)


def _add_oracle_options(group: pytest.OptionGroup) -> None:
    """The oracle's options (the reference, generated projects, row selection)."""
    group.addoption(
        "--floe-dbt-reference",
        default="dbt-core",
        metavar="NAME",
        help="What runtimes are compared with: 'dbt-core' (default: plain dbt-core, run by the "
        "kit itself in a subprocess) or the name of a registered floe.dbt runtime.",
    )
    group.addoption(
        "--floe-dbt-reference-cache",
        default=None,
        metavar="DIR",
        help="Keep the reference's outcomes in DIR and reuse them in later sessions (keyed by "
        "scenario, project fingerprint and dbt version); default: this session only.",
    )
    group.addoption(
        "--floe-dbt-examples",
        type=int,
        default=3,
        metavar="N",
        help="How many generated dbt projects to run on each runtime (default 3; 0 skips them).",
    )
    group.addoption(
        "--floe-dbt-shrink",
        type=int,
        default=8,
        metavar="N",
        help="At most N more generated projects are run to shrink a disagreement to a smaller "
        "project (default 8; 0 reports the first disagreeing project as found).",
    )
    group.addoption(
        "--floe-dbt-seed",
        type=int,
        default=None,
        metavar="S",
        help="The seed of the generated projects (default: a random one, printed and written "
        "in the certificate so a failure replays).",
    )
    group.addoption(
        "--floe-dbt-chaos",
        type=int,
        default=None,
        metavar="SEED",
        help="Also run the chaos row (remote.chaos) for runtimes with a remote service: the "
        "kit's compile, run and test (and seed and build, with the lifecycle capability) "
        "again under seeded random faults a correct runtime must survive, each ending as "
        "fault-free; the certificate records the seed and the faults that fired.",
    )
    group.addoption(
        "--floe-dbt-requirement",
        action="append",
        default=[],
        metavar="[RUNTIME:]KEY",
        help="Run only the checks of this catalogue row (repeatable); prefix a runtime name to "
        "narrow it to that runtime, e.g. acme:run.select. Other rows are 'not run', and the "
        "certificate is written as certificate.partial.json beside a complete one.",
    )
    group.addoption(
        "--floe-dbt-list-requirements",
        action="store_true",
        default=False,
        help="Print the catalogue's row keys (what --floe-dbt-requirement takes), one line "
        "each, and exit without running anything.",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--floe-dbt-list-requirements``: the catalogue, one row a line, and exit 0."""
    if not config.getoption("floe_dbt_list_requirements"):
        return None
    catalogue = importlib.import_module("floe_dbt_compliance.catalogue")
    rows = catalogue.REQUIREMENTS
    width = max(len(key) for key in rows)
    for key, row in rows.items():
        needed = ", ".join(capability.value for capability in row.capabilities)
        needs = f" (needs {needed})" if needed else ""
        title = " ".join(row.title.split())
        sys.stdout.write(f"{key.ljust(width)}  {', '.join(row.req_ids)}  {title}{needs}\n")
    sys.stdout.flush()
    return 0


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``pytest_floe_dbt_harness`` (and the retired hook, to name who still implements it)."""
    pluginmanager.add_hookspecs(importlib.import_module("floe_dbt_compliance.hookspecs"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Switch the kit on when ``--floe-dbt-compliance`` is given."""
    config.addinivalue_line(
        "markers",
        "floe_dbt_requirement(key): binds a floe-dbt kit test to a requirement-catalogue row",
    )
    if not config.getoption("floe_dbt_compliance"):
        return
    from floe_core.plugin_registry import PluginRegistry

    # import_module, not "from package import module": a module dropped from
    # sys.modules (pytester's in-process runs do that) must be imported afresh.
    fixtures = importlib.import_module("floe_dbt_compliance.fixtures")
    kit_module = importlib.import_module("floe_dbt_compliance.kit")

    installed = PluginRegistry().names("dbt")
    requested: list[str] = list(dict.fromkeys(config.getoption("floe_dbt_runtime")))
    missing = [name for name in requested if name not in installed]
    if missing:
        raise pytest.UsageError(
            f"--floe-dbt-runtime {', '.join(missing)}: no such floe.dbt runtime is installed; "
            f"installed: {', '.join(installed) or 'none'}"
        )
    runtimes = requested or installed
    report_dir = _report_dir(config)
    _check_harness_hooks(config)
    kit = kit_module.ComplianceKit(
        config, runtimes, report_dir=report_dir, strict=config.getoption("floe_dbt_strict")
    )
    config.pluginmanager.register(kit, "floe_dbt_compliance.kit")
    config.pluginmanager.register(fixtures, "floe_dbt_compliance.fixtures")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(kit_module.XdistMerge(kit), "floe_dbt_compliance.xdist")
    suites = str(SUITES_DIR)
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        if suites not in config.args:
            config.args.append(suites)
    else:
        config.args[:] = [suites]


def _report_dir(config: pytest.Config) -> Path:
    """``--floe-dbt-report``, absolute; refused now if certificates could never be written there.

    Checked before anything runs: a session that certifies every row and then
    cannot write its certificate has wasted its whole run.
    """
    given = config.getoption("floe_dbt_report")
    report_dir = Path(given)
    if not report_dir.is_absolute():
        report_dir = config.invocation_params.dir / report_dir
    existing = report_dir
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    problem = None
    if not existing.is_dir():
        where = "" if existing == report_dir else f" ({existing} is)"
        problem = f"{report_dir} is a file, not a directory{where}"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{existing} is not writable by this user"
    if problem is not None:
        raise pytest.UsageError(
            f"--floe-dbt-report {given}: {problem}; name a directory for the certificates "
            "(it is created if it does not exist)"
        )
    return report_dir


def _check_harness_hooks(config: pytest.Config) -> None:
    """Refuse a retired hook (its runtime would be built another way); warn of an early one."""
    building = importlib.import_module("floe_dbt_compliance.building")
    hookspecs = importlib.import_module("floe_dbt_compliance.hookspecs")
    retired = building.retired_hook_plugins(config.pluginmanager)
    if retired:
        raise pytest.UsageError(f"{'; '.join(retired)}: {hookspecs.RETIRED_HOOK_FIX}")
    for origin in building.early_package_harnesses(config.pluginmanager):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"floe-dbt: {origin} implements pytest_floe_dbt_harness with tryfirst: it is "
                "asked before your conftest.py. A package's harness is trylast, so that a "
                "user's own always wins."
            ),
            stacklevel=2,
        )
