"""Which dbt Cloud job carries out each command.

The contract's three commands each have their job (``compile``, ``run``,
``test``: REQ-088, never hard-coded). The lifecycle capability's commands
(``seed``, ``snapshot``, ``build``) are always sent as ``steps_override``,
which replaces the job's own steps, so any job of the right environment can
carry them out: each may name its own job, and by default they use the
``run`` job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from floe_core.errors import DBTConfigurationError
from floe_core.vocabulary import LIFECYCLE_COMMANDS
from floe_dbt_cloud.config import JobIds

__all__ = ["JobPlan"]
_EXAMPLE = "e.g. {'compile': 67890, 'run': 67891, 'test': 67892}"


def _lifecycle_id(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DBTConfigurationError(
            f"job_ids.{name} must be a positive dbt Cloud job id or left out (the run job "
            f"then runs `dbt {name}`), got {type(value).__name__}"
        )
    return value


@dataclass(frozen=True)
class JobPlan:
    """The job of every command.

    Attributes:
        contract: The ``compile``, ``run`` and ``test`` jobs.
        lifecycle: The ``seed``, ``snapshot`` and ``build`` jobs (the ``run``
            job where none was configured).
    """

    contract: JobIds
    lifecycle: Mapping[str, int]

    @classmethod
    def parse(cls, job_ids: BaseModel | Mapping[str, Any] | None) -> JobPlan:
        """Read ``job_ids`` as configured (a model or a mapping).

        Raises:
            DBTConfigurationError: It is missing, lacks ``compile``/``run``/``test``,
                has an unknown key, or an id is not a positive integer.
        """
        if job_ids is None:
            raise DBTConfigurationError(
                "job_ids is required: configure dbt_runtime_config.cloud.job_ids "
                "{compile, run, test} in manifest.yaml"
            )
        given = dict(job_ids.model_dump() if isinstance(job_ids, BaseModel) else job_ids)
        lifecycle = {
            command.name: _lifecycle_id(command.name, given.pop(command.name, None))
            for command in LIFECYCLE_COMMANDS
        }
        try:
            contract = JobIds(**given)
        except (TypeError, ValidationError) as exc:
            raise DBTConfigurationError(
                "job_ids must map compile, run and test (and optionally seed, snapshot and "
                f"build) to positive dbt Cloud job ids, {_EXAMPLE} ({exc})"
            ) from None
        return cls(contract, {name: job or contract.run for name, job in lifecycle.items()})

    def job_for(self, command: str) -> int:
        """The job that runs ``dbt <command>``."""
        if command in self.lifecycle:
            return self.lifecycle[command]
        return int(getattr(self.contract, command))

    def as_dict(self) -> dict[str, int]:
        """Every command's job, for metadata and repr."""
        return {**self.contract.model_dump(), **self.lifecycle}
