"""Pydantic models of the dbt Cloud Admin API v2 answers the runtime reads.

Only the fields the runtime uses are declared; everything else dbt Cloud sends
is ignored (``extra="ignore"``) so a new field upstream never breaks a run.
The emulator builds its answers from the same models, so both sides agree on
the shape by construction.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "TERMINAL_STATUSES",
    "ArtifactList",
    "Envelope",
    "ListExtra",
    "Pagination",
    "ResponseStatus",
    "Run",
    "RunEnvelope",
    "RunListEnvelope",
    "RunStatus",
    "RunStep",
    "RunTrigger",
    "TriggerRunRequest",
]

DataT = TypeVar("DataT")


class RunStatus(IntEnum):
    """The status codes of a dbt Cloud run."""

    QUEUED = 1
    STARTING = 2
    RUNNING = 3
    SUCCESS = 10
    ERROR = 20
    CANCELLED = 30

    @property
    def humanized(self) -> str:
        """The ``status_humanized`` text dbt Cloud shows for this status."""
        return self.name.capitalize()


TERMINAL_STATUSES = frozenset({RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.CANCELLED})


class _ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ResponseStatus(_ApiModel):
    """The ``status`` block of every enveloped answer."""

    code: int = 200
    is_success: bool
    user_message: str | None = None
    developer_message: str | None = None


class Envelope(_ApiModel, Generic[DataT]):
    """``{"status": ..., "data": ...}``: how every JSON endpoint answers."""

    status: ResponseStatus
    data: DataT


class RunStep(_ApiModel):
    """One step of a run (``run_steps[]`` with ``include_related=run_steps``)."""

    index: int = Field(ge=1)
    name: str
    status: int
    logs: str | None = None


class RunTrigger(_ApiModel):
    """What started a run (``trigger`` with ``include_related=trigger``): its ``cause``."""

    cause: str | None = None


class Run(_ApiModel):
    """A dbt Cloud run as ``GET runs/{id}/`` returns it."""

    id: int = Field(gt=0)
    account_id: int
    job_definition_id: int
    environment_id: int | None = None
    project_id: int | None = None
    status: int
    status_humanized: str | None = None
    dbt_version: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    in_progress: bool | None = None
    is_complete: bool | None = None
    is_success: bool | None = None
    is_error: bool | None = None
    is_cancelled: bool | None = None
    href: str | None = None
    run_steps: list[RunStep] = Field(default_factory=list)
    trigger: RunTrigger | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the run succeeded, failed or was cancelled."""
        return self.status in TERMINAL_STATUSES


RunEnvelope = Envelope[Run]
ArtifactList = Envelope[list[str]]


class Pagination(_ApiModel):
    """``extra.pagination`` of a list answer (OpenAPI ``CustomPagination``)."""

    count: int = Field(ge=0)
    total_count: int = Field(ge=0)


class ListExtra(_ApiModel):
    """``extra`` of a list answer: how it was filtered, ordered and paged (OpenAPI ``Extra``)."""

    filters: dict[str, Any] = Field(default_factory=dict)
    order_by: str | None = None
    pagination: Pagination


class RunListEnvelope(Envelope[list[Run]]):
    """``GET runs/``: a page of runs and its ``extra.pagination``."""

    extra: ListExtra


class TriggerRunRequest(BaseModel):
    """The body of ``POST jobs/{job_id}/run/`` (OpenAPI ``TriggerRunRequestRequest``).

    The emulator validates bodies with it and the runtime builds them with it,
    so a body the runtime sends is one the real API accepts.
    """

    # Like the real API (Django REST framework), unknown fields are ignored
    # and declared ones are type-checked strictly.
    model_config = ConfigDict(extra="ignore", strict=True)

    cause: str = Field(min_length=1, max_length=255)
    git_sha: str | None = Field(None, min_length=1)
    git_branch: str | None = Field(None, min_length=1)
    azure_pull_request_id: int | None = None
    github_pull_request_id: int | None = None
    gitlab_merge_request_id: int | None = None
    non_native_pull_request_id: int | None = None
    schema_override: str | None = Field(None, min_length=1)
    dbt_version_override: str | None = Field(None, min_length=1)
    threads_override: int | None = None
    target_name_override: str | None = Field(None, min_length=1)
    generate_docs_override: bool | None = None
    timeout_seconds_override: int | None = None
    steps_override: list[Annotated[str, Field(min_length=1)]] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON body, without the fields left unset."""
        return self.model_dump(exclude_none=True)
