"""A vendor's distribution, ``acme-floe``: its module and a manifest selecting it.

Its runtimes declare their own configuration models; nothing in ``floe_core``
knows their names. ``conftest.py`` installs it for a test (a dist-info on sys.path).
"""

from __future__ import annotations

MODULE = '''
from typing import Any

from pydantic import Field

from floe_core.plugin_interfaces import DBTPlugin
from floe_core.schemas import ConfigSection, SecretRef


class AcmeConfig(ConfigSection):
    region: str
    api_key_ref: SecretRef
    timeout_seconds: float = Field(600, gt=0, le=86400)


class DefaultsConfig(ConfigSection):
    region: str = "eu"


class _Stub(DBTPlugin):
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
    def compile_project(self, project_dir, profiles_dir, target):
        raise NotImplementedError
    run_models = run_tests = get_manifest = get_run_results = compile_project
    def supports_parallel_execution(self) -> bool:
        return True
    def get_runtime_metadata(self) -> dict:
        return {"type": "acme"}


class AcmePlugin(_Stub):
    config_model = AcmeConfig

    @classmethod
    def from_config(cls, config, secrets, **options):
        return cls(config=config, key=secrets.get_secret(config.api_key_ref), **options)


class DefaultsPlugin(_Stub):
    config_model = DefaultsConfig

    @classmethod
    def from_config(cls, config, secrets, **options):
        return cls(config=config, secrets=secrets)


class PlainPlugin(_Stub):
    """No configuration model: the default from_config, no settings."""


class PlaceholderPlugin(PlainPlugin):
    discovery_warning = "PlaceholderPlugin not yet implemented. Use another runtime."


class NotAPlugin:
    pass
'''


ACME = """\
plugins:
  dbt_runtime: acme
  dbt_runtime_config:
    acme:
      region: eu-west
      api_key_ref: acme-api-key
"""

# A runtime with the lifecycle capability whose every call is scripted and
# recorded: the CLI is tested against what it asks of the runtime.
SCRIPTED = '''
from pathlib import Path
from typing import Any

from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult

CALLS: list[dict[str, Any]] = []


class _Recorder:
    def __init__(self, bound: dict[str, Any] | None = None) -> None:
        self.bound = dict(bound or {})

    def _call(self, command, project_dir, profiles_dir, target, vars=None, **selection):
        merged = {**self.bound, **(vars or {})}
        CALLS.append(
            {"command": command, "project_dir": str(project_dir),
             "profiles_dir": str(profiles_dir), "target": target, "vars": merged, **selection}
        )
        failed = selection.get("select") == "broken"
        counts = {"seed": (0, 0, 3, 0), "snapshot": (0, 0, 0, 2), "build": (4, 6, 3, 2)}
        models, tests, seeds, snapshots = counts.get(command, (5, 0, 0, 0))
        metadata = {"seeds_run": seeds, "snapshots_run": snapshots} if command in counts else {}
        return DBTRunResult(
            success=not failed, manifest_path=Path(project_dir) / "target" / "manifest.json",
            run_results_path=Path(project_dir) / "target" / "run_results.json",
            execution_time_seconds=0.25, models_run=models, tests_run=tests,
            failures=int(failed), metadata=metadata,
        )

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        return self._call("compile", project_dir, profiles_dir, target).manifest_path

    def run_models(self, project_dir, profiles_dir, target, select=None, exclude=None,
                   full_refresh=False):
        return self._call("run", project_dir, profiles_dir, target, select=select,
                          exclude=exclude, full_refresh=full_refresh)

    def run_tests(self, project_dir, profiles_dir, target, select=None):
        return self._call("test", project_dir, profiles_dir, target, select=select)

    def get_manifest(self, project_dir):
        return {}

    def get_run_results(self, project_dir):
        return {}

    def supports_parallel_execution(self) -> bool:
        return True

    def get_runtime_metadata(self) -> dict:
        return {"type": "scripted"}


class ScriptedLifecycle(_Recorder, DBTPlugin, DBTLifecycle):
    def seed(self, project_dir, profiles_dir, target, select=None, exclude=None,
             full_refresh=False, vars=None):
        return self._call("seed", project_dir, profiles_dir, target, vars, select=select,
                          exclude=exclude, full_refresh=full_refresh)

    def snapshot(self, project_dir, profiles_dir, target, select=None, exclude=None, vars=None):
        return self._call("snapshot", project_dir, profiles_dir, target, vars, select=select,
                          exclude=exclude)

    def build(self, project_dir, profiles_dir, target, select=None, exclude=None,
              full_refresh=False, vars=None):
        return self._call("build", project_dir, profiles_dir, target, vars, select=select,
                          exclude=exclude, full_refresh=full_refresh)

    def with_vars(self, vars):
        return ScriptedLifecycle({**self.bound, **vars})


class WithoutLifecycle(_Recorder, DBTPlugin):
    """The seven methods only."""
'''

# A runtime that reports dbt's events as floe_core.events records, as a remote one would.
NARRATING = """
import json, logging
from pathlib import Path
from floe_core.events import DbtEvent, log_dbt_event
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult

LOG = logging.getLogger("narrating.events")
NODES = [
    ("model.shop.orders", "success", "info", "OK created sql table model main.orders", "OK"),
    ("model.shop.customers", "error", "error", "ERROR creating sql table model main.customers",
     "ERROR"),
]


class Narrator(DBTPlugin):
    def compile_project(self, project_dir, profiles_dir, target):
        raise NotImplementedError

    def run_models(self, project_dir, profiles_dir, target, select=None, exclude=None,
                   full_refresh=False):
        logging.getLogger("narrating.http").warning("dbt Cloud answered 503; retrying in 2 s")
        logging.getLogger("narrating.http").info("HTTP Request: GET /runs/1 200")
        log_dbt_event(LOG, DbtEvent("MainReportVersion", "info", "Running with dbt=1.11.0"))
        for index, (unique_id, status, level, text, word) in enumerate(NODES, 1):
            log_dbt_event(LOG, DbtEvent("LogStartLine", "info",
                f"{index} of 2 START {text.split(' ', 2)[2]} ...... [RUN]",
                unique_id=unique_id, node_status="started"))
            log_dbt_event(LOG, DbtEvent("LogModelResult", level,
                f"{index} of 2 {text} ...... [{word} in 0.10s]",
                unique_id=unique_id, node_status=status, execution_time=0.1))
        log_dbt_event(LOG, DbtEvent("SQLQuery", "debug", "select 1 -- a debug event"))
        log_dbt_event(LOG, DbtEvent("EndOfRunSummary", "info",
            "Completed with 1 error, 0 partial successes, and 0 warnings:"))
        target_dir = Path(project_dir) / "target"
        target_dir.mkdir(exist_ok=True)
        results = [
            {"unique_id": "model.shop.orders", "status": "success", "message": "OK"},
            {"unique_id": "model.shop.customers", "status": "error",
             "message": "Database Error in model customers\\n"
                        "  Table raw_customers does not exist\\n"
                        "  LINE 3: from raw_customers\\n             ^"},
        ]
        (target_dir / "run_results.json").write_text(json.dumps({"results": results}))
        return DBTRunResult(
            success=False, manifest_path=target_dir / "manifest.json",
            run_results_path=target_dir / "run_results.json", execution_time_seconds=0.5,
            models_run=2, tests_run=0, failures=1, metadata={},
        )

    def run_tests(self, project_dir, profiles_dir, target, select=None):
        raise NotImplementedError

    def get_manifest(self, project_dir):
        return {}

    def get_run_results(self, project_dir):
        return {}

    def supports_parallel_execution(self):
        return True

    def get_runtime_metadata(self):
        return {"type": "narrating"}
"""
