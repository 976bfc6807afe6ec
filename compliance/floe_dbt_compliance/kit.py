"""The kit's session plugin: collection, parametrization, outcomes, certificates, exit code."""

from __future__ import annotations

import importlib
import json
import random
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from floe_core.plugin_registry import PluginRegistry
from floe_dbt_compliance.catalogue import REQUIREMENTS
from floe_dbt_compliance.chaos import describe as describe_chaos
from floe_dbt_compliance.errors import WarehouseUnavailable
from floe_dbt_compliance.profile import RuntimeProfile, profile_runtime
from floe_dbt_compliance.progress import PLAN_ATTRIBUTE, Progress
from floe_dbt_compliance.report import (
    PARTIAL_FILES,
    REQUIREMENT_PROPERTY,
    RUNTIME_PROPERTY,
    Certificate,
    Outcome,
    build_certificate,
    outcome_from_report,
    summary_lines,
    write_certificate,
)
from floe_dbt_compliance.requirements import MARKER
from floe_dbt_compliance.runs import Disagreement
from floe_dbt_compliance.status import (
    FINDINGS_ATTRIBUTE,
    REASON_ATTRIBUTE,
    STATUS_ATTRIBUTE,
    KitSkip,
    Status,
)
from floe_dbt_compliance.user_projects import ProjectError, UserProject, check_project
from floe_dbt_compliance.warehouse import Warehouse

__all__ = ["ComplianceKit", "XdistMerge"]

RUNTIME_FIXTURE = "floe_dbt_runtime"
PROJECT_FIXTURE = "floe_dbt_user_project"
_WORKER_KEY = "floe_dbt_compliance"
_SEED_KEY = "floe_dbt_seed"
_SUITES_DIR = Path(__file__).resolve().parent / "suites"


class ComplianceKit:
    """State and hooks of one ``pytest --floe-dbt-compliance`` session (or xdist worker).

    Args:
        config: The session's config.
        runtimes: The ``floe.dbt`` names to certify.
        report_dir: Where certificates go.
        strict: ``--floe-dbt-strict``.
    """

    def __init__(
        self, config: pytest.Config, runtimes: list[str], *, report_dir: Path, strict: bool
    ) -> None:
        self.config = config
        self.runtimes = runtimes
        self.report_dir = report_dir
        self.strict = strict
        self.outcomes: list[Outcome] = []
        self.runtime_info: dict[str, dict[str, Any]] = {}
        self.certificates: list[Certificate] = []
        self._profiles: dict[str, RuntimeProfile] = {}
        #: Kit checks left out of this session (-k, -m, --floe-dbt-requirement ...).
        self.deselected = False
        self.progress = Progress(self._write_line)
        self._plan_to_send: str | None = None
        reference: str = config.getoption("floe_dbt_reference")
        if reference != "dbt-core" and reference not in PluginRegistry().names("dbt"):
            raise pytest.UsageError(
                f"--floe-dbt-reference {reference}: neither 'dbt-core' nor an installed floe.dbt "
                f"runtime; installed: {', '.join(PluginRegistry().names('dbt')) or 'none'}"
            )
        examples: int = config.getoption("floe_dbt_examples")
        if examples < 0:
            raise pytest.UsageError(f"--floe-dbt-examples {examples}: give 0 or more")
        shrink: int = config.getoption("floe_dbt_shrink")
        if shrink < 0:
            raise pytest.UsageError(f"--floe-dbt-shrink {shrink}: give 0 or more")
        self.selection = _selection(config.getoption("floe_dbt_requirement"))
        self.warehouse = _warehouse(config.getoption("floe_dbt_warehouse", "duckdb"))
        #: The user's projects (``--floe-dbt-project``), checked before anything runs.
        self.projects = _projects(config.getoption("floe_dbt_project", []))
        workerinput = getattr(config, "workerinput", None)
        seed = config.getoption("floe_dbt_seed")
        if workerinput is not None and _SEED_KEY in workerinput:
            seed = workerinput[_SEED_KEY]
        #: What the certificates record about the oracle (the reference is added when used).
        self.oracle: dict[str, Any] = {
            "examples": examples,
            "shrink": shrink,
            "seed": seed if seed is not None else random.randrange(2**32),  # noqa: S311
            "warehouse": self.warehouse.describe(),
        }
        if self.projects:
            self.oracle["projects"] = "; ".join(project.describe() for project in self.projects)
        #: ``--floe-dbt-chaos``: the seed of the chaos row's faults, or None (the row is n/a).
        self.chaos: int | None = config.getoption("floe_dbt_chaos", None)
        if self.chaos is not None:
            self.oracle["chaos"] = describe_chaos(self.chaos)
        #: Runtime -> the faults that fired under chaos (``record_chaos``), for its certificate.
        self.chaos_injected: dict[str, dict[str, Any]] = {}

    # -- runtimes -------------------------------------------------------------------------

    def profile(self, name: str, tmp_path_factory: pytest.TempPathFactory) -> RuntimeProfile:
        """Probe a runtime once per process (metadata, parallelism, cache, not implemented)."""
        if name not in self._profiles:
            profile = profile_runtime(self.config, name, tmp_path_factory, self.warehouse)
            self._profiles[name] = profile
            self.runtime_info[name] = {"class": profile.class_path, "metadata": profile.metadata}
        return self._profiles[name]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """At default verbosity, the row lines replace pytest's dots and file names."""
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        if (
            reporter is not None
            and reporter.verbosity == 0
            and self.config.args == [str(_SUITES_DIR)]
        ):
            reporter.showfspath = False

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> Generator[None, Any, Any]:
        """No dot for a kit check at default verbosity: its row's line says more (-v: one each)."""
        status = yield
        if config.get_verbosity() == 0 and RUNTIME_PROPERTY in dict(report.user_properties):
            return (status[0], "", "")
        return status

    def _write_line(self, line: str) -> None:
        reporter = self.config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None and reporter.verbosity >= 0:
            reporter.write_line(line)

    # -- collection -----------------------------------------------------------------------

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Module | None:
        """Collect the kit's ``suite_*.py`` whatever the project's ``python_files`` say."""
        if (
            file_path.parent == _SUITES_DIR
            and file_path.name.startswith("suite_")
            and file_path.suffix == ".py"
        ):
            module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
            return module
        return None

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run every test that asks for ``floe_dbt_runtime`` once per selected runtime.

        A test that asks for ``floe_dbt_user_project`` runs once per project given
        (once with ``None`` when none was: its row's gate makes it n/a).
        """
        if RUNTIME_FIXTURE in metafunc.fixturenames:
            metafunc.parametrize(
                RUNTIME_FIXTURE, self.runtimes, ids=self.runtimes, indirect=True, scope="module"
            )
        if PROJECT_FIXTURE in metafunc.fixturenames:
            given: list[UserProject | None] = list(self.projects) or [None]
            metafunc.parametrize(
                PROJECT_FIXTURE,
                given,
                ids=[project.name if project else "none" for project in given],
                indirect=True,
            )

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Tag kit tests with their runtime and requirement; keep only the rows asked for."""
        kept, dropped = [], []
        for item in items:
            marker = item.get_closest_marker(MARKER)
            callspec = getattr(item, "callspec", None)
            if marker is None or callspec is None or RUNTIME_FIXTURE not in callspec.params:
                kept.append(item)
                continue
            runtime, key = callspec.params[RUNTIME_FIXTURE], marker.args[0]
            if self.selection and not ({key, f"{runtime}:{key}"} & self.selection):
                dropped.append(item)
                continue
            item.user_properties.append((RUNTIME_PROPERTY, runtime))
            item.user_properties.append((REQUIREMENT_PROPERTY, key))
            kept.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Know which checks make up each row (a worker sends it with its first report)."""
        plan = []
        for item in session.items:
            properties = dict(item.user_properties)
            runtime, key = properties.get(RUNTIME_PROPERTY), properties.get(REQUIREMENT_PROPERTY)
            if runtime is not None and key is not None:
                plan.append((str(runtime), str(key), item.nodeid))
        if getattr(self.config, "workerinput", None) is None:
            self.progress.plan(plan)
        else:
            sending = Progress(lambda _: None)
            sending.plan(plan)
            self._plan_to_send = sending.plan_json()

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """A kit check left out (-k, -m, a row not asked for) makes the session partial."""
        if any(
            RUNTIME_FIXTURE in getattr(getattr(i, "callspec", None), "params", {}) for i in items
        ):
            self.deselected = True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Put a typed status and a disagreement's findings on the report."""
        report = yield
        if self._plan_to_send is not None:
            setattr(report, PLAN_ATTRIBUTE, self._plan_to_send)
            self._plan_to_send = None
        error = call.excinfo.value if call.excinfo is not None else None
        if isinstance(error, KitSkip):
            setattr(report, STATUS_ATTRIBUTE, error.status.value)
            setattr(report, REASON_ATTRIBUTE, error.reason)
        elif isinstance(error, Disagreement):
            setattr(report, FINDINGS_ATTRIBUTE, error.as_json())
        return report

    def record_chaos(
        self, runtime: str, seed: int, planned: str, fired: list[dict[str, Any]]
    ) -> None:
        """Record the plan and the faults that fired on ``runtime`` under chaos ``seed``."""
        self.chaos_injected[runtime] = {"seed": seed, "plan": planned, "faults": fired}

    # -- outcomes -------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record what a kit test's phase says about its requirement."""
        if getattr(self.config, "workerinput", None) is None:
            self.progress.report(report)
        if self.config.pluginmanager.getplugin("dsession") is not None:
            return  # an xdist controller: the workers' merged rows are the record
        outcome = outcome_from_report(report)
        if outcome is not None:
            self.outcomes.append(outcome)

    def merge(self, payload: str) -> None:
        """Take a worker's outcomes and runtime facts (controller side)."""
        data = json.loads(payload)
        self.outcomes.extend(Outcome.from_json(outcome) for outcome in data["outcomes"])
        for name, info in data["runtime_info"].items():
            self.runtime_info.setdefault(name, info)
        self.deselected = self.deselected or bool(data.get("deselected"))
        for key, value in data["oracle"].items():
            self.oracle.setdefault(key, value)
        self.chaos_injected.update(data.get("chaos_injected", {}))

    def _runtime_class(self, name: str) -> str:
        try:
            cls = PluginRegistry().load_class("dbt", name)
        except Exception as exc:
            return f"<cannot load: {exc}>"
        return f"{cls.__module__}:{cls.__qualname__}"

    # -- the end --------------------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the certificates (controller only) and fail the session if one is refused."""
        self.warehouse.close()  # this process's scratch schemas, if any are left
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[_WORKER_KEY] = json.dumps(
                {
                    "outcomes": [outcome.as_json() for outcome in self.outcomes],
                    "runtime_info": self.runtime_info,
                    "oracle": self.oracle,
                    "chaos_injected": self.chaos_injected,
                    "deselected": self.deselected,
                }
            )
            return
        partial = self._partial(session)
        for name in self.runtimes:
            info = self.runtime_info.get(name) or {
                "class": self._runtime_class(name),
                "metadata": None,
            }
            certificate = build_certificate(
                name,
                info["class"],
                info["metadata"],
                self.outcomes,
                strict=self.strict,
                oracle=self.oracle
                | (
                    {"chaos_injected": self.chaos_injected[name]}
                    if name in self.chaos_injected
                    else {}
                ),
            )
            certificate.partial = partial or _unrun_rows(certificate)
            write_certificate(certificate, self.report_dir)
            self.certificates.append(certificate)
        refused = [c for c in self.certificates if c.verdict == "not certified"]
        if refused and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the runtime x requirement table, the reasons, and where the files are."""
        if not self.certificates:
            return
        terminalreporter.write_sep("=", "floe-dbt compliance")
        for line in summary_lines(self.certificates):
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            "oracle: " + "; ".join(f"{key} {value}" for key, value in self.oracle.items())
        )
        for certificate in self.certificates:
            if certificate.partial:
                terminalreporter.write_line(
                    f"partial certificate of {certificate.runtime} ({certificate.partial}): "
                    f"{self.report_dir / certificate.runtime / PARTIAL_FILES[0]}; "
                    "the complete certificate and badge beside it are left as they were"
                )
            else:
                terminalreporter.write_line(
                    f"certificate of {certificate.runtime}: "
                    f"{self.report_dir / certificate.runtime / 'certificate.json'}"
                )

    def _partial(self, session: pytest.Session) -> str | None:
        """Why this session cannot certify a runtime completely, or None."""
        if self.config.option.collectonly:
            return "--collect-only: nothing ran"
        if session.shouldstop or session.shouldfail:
            return f"stopped early: {session.shouldstop or session.shouldfail}"
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            return "interrupted"
        if self.deselected:
            return "checks were deselected (-k, -m or --floe-dbt-requirement)"
        return None


def _unrun_rows(certificate: Certificate) -> str | None:
    """A row no check ran for (none was collected) makes a certificate partial too."""
    unrun = [row.key for row in certificate.rows if row.status == Status.NOT_RUN]
    if not unrun:
        return None
    return f"{len(unrun)} row(s) not run, e.g. {unrun[0]}"


def _selection(requested: list[str]) -> set[str]:
    """``--floe-dbt-requirement`` values, checked against the catalogue."""
    unknown = [value for value in requested if value.rpartition(":")[2] not in REQUIREMENTS]
    if unknown:
        raise pytest.UsageError(
            f"--floe-dbt-requirement {', '.join(unknown)}: no such row in the catalogue "
            "(pytest --floe-dbt-list-requirements lists them)"
        )
    return set(requested)


def _projects(paths: list[str]) -> list[UserProject]:
    """``--floe-dbt-project`` values, checked, or a usage error before anything runs."""
    checked = []
    for path in dict.fromkeys(paths):
        try:
            checked.append(check_project(Path(path)))
        except ProjectError as exc:
            raise pytest.UsageError(f"--floe-dbt-project {path}: {exc}") from None
    return checked


def _warehouse(kind: str) -> Warehouse:
    """``--floe-dbt-warehouse``, reachable and usable, or a usage error before anything runs."""
    try:
        return Warehouse.choose(kind)
    except WarehouseUnavailable as exc:
        raise pytest.UsageError(f"--floe-dbt-warehouse {kind}: {exc}") from None


def runtime_scope(nodeid: str) -> str:
    """The xdist work unit of a test: its module and its parameters (the runtime).

    The suites share one expensive sequence per (module, runtime); keeping
    those tests on one worker runs each sequence once.
    """
    module, _, rest = nodeid.partition("::")
    bracket = rest.find("[")
    return module + (rest[bracket:] if bracket >= 0 else "")


class XdistMerge:
    """Controller-side xdist hooks: schedule by (module, runtime), merge workers' outcomes."""

    def __init__(self, kit: ComplianceKit) -> None:
        self.kit = kit

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """Replace xdist's default ``load`` distribution with one unit per (module, runtime)."""
        if config.getvalue("dist") != "load":
            return None  # the user chose a distribution; keep it
        # xdist is optional for the kit (and untyped): imported only when it runs us.
        base: Any = importlib.import_module("xdist.scheduler").LoadScopeScheduling

        class RuntimeScopeScheduling(base):  # type: ignore[misc]
            def _split_scope(self, nodeid: str) -> str:
                return runtime_scope(nodeid)

        return RuntimeScopeScheduling(config, log)

    def pytest_configure_node(self, node: Any) -> None:
        """Give every worker the session's seed, so all generate the same projects."""
        node.workerinput[_SEED_KEY] = self.kit.oracle["seed"]

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge the worker's rows (sent through ``workeroutput``)."""
        payload = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if payload is not None:
            self.kit.merge(payload)
