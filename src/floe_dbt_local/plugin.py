"""LocalDBTPlugin: dbt-core in this process, through ``dbtRunner`` (REQ-087, REQ-093)."""

import copy
import platform
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dbt.cli.main import dbtRunner
from pydantic import BaseModel

from floe_core.artifacts import read_json_artifact
from floe_core.bounds import checked
from floe_core.errors import (
    DBTArtifactNotFoundError,
    DBTConfigurationError,
)
from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin, DBTRunResult, SecretsPlugin
from floe_core.redaction import redacting
from floe_core.run_flags import DBTFailFast, DBTStateSelection, RunFlags, checked_state
from floe_core.selectors import DbtVars
from floe_core.telemetry import dbt_span, record_result
from floe_core.vocabulary import BUILD, COMPILE, RUN, SEED, SNAPSHOT, TEST, DbtArguments, DbtCommand
from floe_dbt_local.adapters import release_adapters
from floe_dbt_local.config import LocalRuntimeConfig
from floe_dbt_local.dbt_errors import raise_for_dbt_result
from floe_dbt_local.events import DbtEventRouter
from floe_dbt_local.invocation import Call, Invocation
from floe_dbt_local.locking import InvocationLock
from floe_dbt_local.preflight import artifact_layout, invocation_paths, project_layout
from floe_dbt_local.results import invocation_result
from floe_dbt_local.reuse import ManifestCache, current_manifest
from floe_dbt_local.secret_vars import exported, redact_written

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_LOCK_TIMEOUT_SECONDS", "LocalDBTPlugin"]

DEFAULT_LOCK_TIMEOUT_SECONDS = 3600.0
RUNTIME_TYPE = "local"
DBT_VERSION = version("dbt-core")


class LocalDBTPlugin(DBTPlugin, DBTLifecycle, DBTFailFast, DBTStateSelection):
    """Runs dbt-core in-process with ``dbtRunner``, one invocation at a time per process.

    Every invocation of every instance (and of subclasses) waits for the one
    class-level :attr:`invocation_lock`; dbt's events are routed to the
    ``floe_dbt_local.events`` logger and each invocation is a
    ``floe.dbt.<command>`` span, opened once the lock is held so that the
    spans of serialised invocations never overlap.

    It declares the lifecycle capability
    (:class:`~floe_core.lifecycle.DBTLifecycle`): :meth:`seed`,
    :meth:`snapshot`, :meth:`build`, and :meth:`with_vars` for a runtime whose
    every invocation passes ``--vars``; and the fail-fast and state
    capabilities (:mod:`floe_core.run_flags`): :meth:`with_fail_fast` and
    :meth:`with_state` bind ``--fail-fast``, ``--state`` and ``--defer``.

    Args:
        lock_timeout_seconds: How long an invocation waits for the lock before
            raising :class:`~floe_core.errors.DBTExecutionTimeout`.
        reuse_manifest: Reuse the parsed manifest between invocations while
            the project, profile, target and environment are unchanged
            (see :mod:`floe_dbt_local.reuse`); False parses on every call.

    Raises:
        DBTConfigurationError: ``lock_timeout_seconds`` is not a number of seconds
            greater than 0 and at most a day (the bound of ``manifest.yaml``).

    Examples:
        >>> runtime = LocalDBTPlugin(lock_timeout_seconds=600)
        >>> runtime.supports_parallel_execution()
        False
    """

    invocation_lock: ClassVar[InvocationLock] = InvocationLock()
    config_model: ClassVar[type[BaseModel] | None] = LocalRuntimeConfig

    def __init__(
        self,
        lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
        *,
        reuse_manifest: bool = True,
    ) -> None:
        # The bound of manifest.yaml's lock_timeout_seconds, checked by the same field.
        settings = checked(LocalRuntimeConfig, lock_timeout_seconds=lock_timeout_seconds)
        self.lock_timeout_seconds: float = settings["lock_timeout_seconds"]
        self.reuse_manifest = reuse_manifest
        self._manifests = ManifestCache()
        self._adapter: tuple[str, str] | None = None
        self._vars = DbtVars.EMPTY
        self._flags = RunFlags()

    def __repr__(self) -> str:
        # Names only: a var's value may be anything, a credential included.
        bound = f", vars={sorted(self._vars)}" if self._vars else ""
        if self._flags:
            bound += f", flags={self._flags.described()}"
        return (
            f"{type(self).__name__}(lock_timeout_seconds={self.lock_timeout_seconds:g}, "
            f"reuse_manifest={self.reuse_manifest}{bound})"
        )

    @classmethod
    def from_config(
        cls, config: BaseModel | None, secrets: SecretsPlugin | None, **options: Any
    ) -> "Self":
        """Build the runtime from ``dbt_runtime_config.local``.

        Args:
            config: The ``local`` section, or None for the defaults.
            secrets: Unused: the local runtime resolves no secret itself (the
                dbt profile reads its own, e.g. with ``env_var()``).
            **options: Invocation options meant for other runtimes (``no_cache``); ignored.

        Returns:
            The runtime.

        Raises:
            DBTConfigurationError: ``config`` is not a ``LocalRuntimeConfig``.
        """
        del secrets, options
        if config is None:
            return cls()
        if not isinstance(config, LocalRuntimeConfig):
            raise DBTConfigurationError(
                f"the local dbt runtime needs a dbt_runtime_config.local section, "
                f"got {type(config).__name__}"
            )
        return cls(lock_timeout_seconds=config.lock_timeout_seconds)

    def compile_project(self, project_dir: Path, profiles_dir: Path, target: str) -> Path:
        """Run ``dbt compile`` and return ``<project>/<target-path>/manifest.json``.

        Raises:
            DBTCompilationError: The project does not parse, or a node does not compile.
            DBTExecutionError: dbt could not run (no project, bad profile ...).
            DBTExecutionTimeout: The wait for the invocation lock timed out.
        """
        invocation, _ = self._invoke(COMPILE, project_dir, profiles_dir, target)
        manifest_path: Path = invocation.layout.manifest_path
        if not manifest_path.is_file():
            raise DBTArtifactNotFoundError(
                f"`dbt compile` succeeded but wrote no {manifest_path}; "
                "is DBT_WRITE_JSON=false set in the environment?"
            )
        return manifest_path

    def run_models(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
    ) -> DBTRunResult:
        """Run ``dbt run``; failed models are counted in the result, not raised."""
        where = (project_dir, profiles_dir, target)
        return self._result(RUN, *where, select=select, exclude=exclude, full_refresh=full_refresh)

    def run_tests(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
    ) -> DBTRunResult:
        """Run ``dbt test`` (data and unit tests); failing tests are counted, not raised."""
        return self._result(TEST, project_dir, profiles_dir, target, select=select)

    def seed(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt seed``; a seed that fails to load (a bad row) is counted, not raised.

        ``metadata["seeds_run"]`` counts the seeds loaded or failed; see
        :class:`~floe_core.lifecycle.DBTLifecycle` for the arguments and errors.
        """
        return self._result(
            SEED,
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

    def snapshot(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt snapshot``; a snapshot that fails is counted, not raised.

        ``metadata["snapshots_run"]`` counts the snapshots run; see
        :class:`~floe_core.lifecycle.DBTLifecycle` for the arguments and errors.
        """
        where = (project_dir, profiles_dir, target)
        return self._result(SNAPSHOT, *where, select=select, exclude=exclude, vars=vars)

    def build(
        self,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        select: str | None = None,
        exclude: str | None = None,
        full_refresh: bool = False,
        vars: Mapping[str, Any] | None = None,
    ) -> DBTRunResult:
        """Run ``dbt build``: seeds, snapshots, models and tests in DAG order.

        A failing test skips what depends on its model, as dbt does; failures
        are counted, not raised. See :class:`~floe_core.lifecycle.DBTLifecycle`.
        """
        return self._result(
            BUILD,
            project_dir,
            profiles_dir,
            target,
            select=select,
            exclude=exclude,
            full_refresh=full_refresh,
            vars=vars,
        )

    def with_vars(self, vars: Mapping[str, Any]) -> "Self":
        """Return a runtime like this one whose every invocation passes ``--vars``.

        The copy shares this runtime's settings, the class-level lock and the
        parsed-manifest cache (whose entries are keyed by the vars, so a parse
        with other vars is never reused); this runtime is left unchanged.
        ``vars`` are updated over the vars this runtime already binds, and a
        call's own ``vars=`` over both (top-level keys replace, as in
        ``dict.update``).

        Args:
            vars: Variable names to JSON values.

        Returns:
            The bound runtime, of this runtime's class.

        Raises:
            DBTConfigurationError: ``vars`` is not a mapping of JSON values.

        Examples:
            >>> nightly = LocalDBTPlugin().with_vars({"start_date": "2024-01-01"})
            >>> nightly
            LocalDBTPlugin(lock_timeout_seconds=3600, reuse_manifest=True, vars=['start_date'])
        """
        bound = copy.copy(self)
        bound._vars = self._vars.merged(vars)
        return bound

    def with_fail_fast(self, fail_fast: bool = True) -> "Self":
        """Return a runtime like this one whose every invocation passes ``--fail-fast``.

        Shares this runtime's settings, lock and parsed-manifest cache; this
        runtime is left unchanged.

        Examples:
            >>> LocalDBTPlugin().with_fail_fast()
            LocalDBTPlugin(lock_timeout_seconds=3600, reuse_manifest=True, flags=['fail_fast'])
        """
        bound = copy.copy(self)
        flags = self._flags
        bound._flags = RunFlags(bool(fail_fast), flags.state, flags.defer)
        return bound

    def with_state(self, state: Path, *, defer: bool = False) -> "Self":
        """Return a runtime like this one whose every invocation passes ``--state`` (``--defer``).

        ``state`` is made absolute here (relative to the current directory,
        as dbt reads it). Shares this runtime's settings, lock and
        parsed-manifest cache (deferral happens after parsing, on each
        invocation's own copy of the manifest); this runtime is left unchanged.

        Raises:
            DBTConfigurationError: ``state`` is not a path.
        """
        bound = copy.copy(self)
        bound._flags = RunFlags(self._flags.fail_fast, checked_state(state), bool(defer))
        return bound

    def get_manifest(self, project_dir: Path) -> dict[str, Any]:
        """Read ``<target-path>/manifest.json`` of the project.

        Raises:
            DBTArtifactNotFoundError: It does not exist yet (compile or run first).
        """
        path = artifact_layout(project_dir, "manifest.json").manifest_path
        return read_json_artifact(
            path, what="run compile_project, run_models or run_tests on this project first"
        )

    def get_run_results(self, project_dir: Path) -> dict[str, Any]:
        """Read ``<target-path>/run_results.json`` of the project.

        Raises:
            DBTArtifactNotFoundError: Nothing has run yet.
        """
        path = artifact_layout(project_dir, "run_results.json").run_results_path
        return read_json_artifact(path, what="run run_models or run_tests on this project first")

    def supports_parallel_execution(self) -> bool:
        """False: dbt-core keeps process-wide state, so invocations are serialised."""
        return False

    def get_runtime_metadata(self) -> dict[str, Any]:
        """Versions, settings and the adapter of the latest invocation; never a credential."""
        metadata: dict[str, Any] = {
            "type": RUNTIME_TYPE,
            "dbt_version": DBT_VERSION,
            "python_version": platform.python_version(),
            "python_implementation": platform.python_implementation(),
            "parallel_execution": False,
            "lock_timeout_seconds": self.lock_timeout_seconds,
            "manifest_reuse": self.reuse_manifest,
            "bound_vars": sorted(self._vars),
            "bound_flags": self._flags.described(),
        }
        if self._adapter is not None:
            metadata["adapter"], metadata["adapter_version"] = self._adapter
        return metadata

    def _result(self, command: DbtCommand, *where: Any, **options: Any) -> DBTRunResult:
        result = self._invoke(command, *where, wants_result=True, **options)[1]
        assert result is not None  # wants_result=True always builds one
        return result

    def _last_result(self, invocation: Invocation) -> DBTRunResult:
        metadata: dict[str, Any] = {"runtime": RUNTIME_TYPE, "dbt_version": DBT_VERSION}
        if self._adapter is not None:
            metadata["adapter"] = self._adapter[0]
        return invocation_result(invocation, metadata)

    def _invoke(
        self,
        command: DbtCommand,
        project_dir: Path,
        profiles_dir: Path,
        target: str,
        *,
        vars: Mapping[str, Any] | None = None,
        wants_result: bool = False,
        **options: Any,
    ) -> tuple[Invocation, DBTRunResult | None]:
        """Run one dbt command under the lock, inside its span; raise if dbt could not run."""
        # Checked before waiting for the lock: a malformed selector or var never waits
        # for a long run.
        arguments = DbtArguments.of(
            command, vars=self._vars.merged(vars), run_flags=self._flags, **options
        )
        secrets = arguments.vars.secrets
        project, profiles = invocation_paths(command.name, project_dir, profiles_dir)
        # Before the lock: a FIFO dbt would wait on must not make others wait too.
        project_layout(command.name, project)
        call = Call(arguments, project, profiles, target)
        with (
            self.invocation_lock.hold(
                command.name, call.project_dir, timeout_seconds=self.lock_timeout_seconds
            ),
            dbt_span(
                command.name, runtime=RUNTIME_TYPE, target=target, **arguments.span_options()
            ) as span,
        ):
            with redacting(secrets):  # inside the span: its error event holds no secret either
                invocation = self._invoke_locked(call, secrets)
            if arguments.vars:
                # Names only: a var's value may be a credential.
                span.set_attribute("floe.dbt.var_names", sorted(arguments.vars))
            span.set_attribute("floe.dbt.manifest_reused", invocation.manifest_reused)
            if invocation.invocation_id:
                span.set_attribute("floe.dbt.invocation_id", invocation.invocation_id)
            if not wants_result:
                span.set_attribute("floe.dbt.success", bool(invocation.result.success))
                return invocation, None
            result = self._last_result(invocation)
            record_result(span, result)
            return invocation, result

    def _invoke_locked(self, call: Call, secrets: Sequence[str]) -> Invocation:
        started = time.perf_counter()
        # Again under the lock: the project may have changed while this call waited.
        layout = project_layout(call.command, call.project_dir)
        router = DbtEventRouter(secrets=secrets)
        with exported(secrets) as since:  # dbt masks DBT_ENV_SECRET_ values in logs, errors
            try:
                manifest, reused = (
                    current_manifest(
                        self._manifests, call, layout, router.parse_callback, DBT_VERSION
                    )
                    if self.reuse_manifest
                    else (None, False)
                )
                result = dbtRunner(manifest=manifest, callbacks=[router]).invoke(call.args())
            finally:
                release_adapters()
                self._adapter = router.adapter or self._adapter
                redact_written(layout.target_path, since, secrets)
        if result.exception is not None or (
            call.arguments.command is COMPILE and not result.success
        ):
            written = (layout.target_path, layout.log_path)
            raise_for_dbt_result(
                result, command=call.command, project_dir=call.project_dir, written=written
            )
        return Invocation(
            command=call.command,
            target=call.target,
            layout=layout,
            result=result,
            invocation_id=router.invocation_id,
            manifest_reused=reused,
            seconds=time.perf_counter() - started,
        )
