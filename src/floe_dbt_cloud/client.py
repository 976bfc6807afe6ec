"""The dbt Cloud Admin API v2 over one pooled ``httpx.Client``.

Every call goes through :meth:`AdminApiClient._send`, which retries what is
retryable (:mod:`floe_dbt_cloud.retry`) and turns every error answer into a
:class:`~floe_core.errors.DBTRemoteError` carrying the HTTP status, the run id
and dbt Cloud's ``user_message`` (:mod:`floe_dbt_cloud.answers`). The token
only ever lives in :class:`~floe_dbt_cloud.auth.TokenAuth`, which adds the
header to each request; it is never part of the client's headers, a URL, a
log line or an exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from floe_core.errors import DBTRemoteError
from floe_dbt_cloud.answers import parse_model, remote_error
from floe_dbt_cloud.auth import TokenAuth
from floe_dbt_cloud.http_limits import checked_timeout
from floe_dbt_cloud.models import (
    ArtifactList,
    Run,
    RunEnvelope,
    RunListEnvelope,
    RunStatus,
    TriggerRunRequest,
)
from floe_dbt_cloud.retry import RetryPolicy

__all__ = ["ADOPTION_WINDOW", "DEFAULT_TIMEOUT", "MAX_PAGE_SIZE", "AdminApiClient"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# dbt Cloud's list endpoints answer at most this many records per request.
MAX_PAGE_SIZE = 100
_RUN_ORDERINGS = frozenset(
    {"id", "-id", "created_at", "-created_at", "finished_at", "-finished_at"}
)
# How many of a job's newest runs are searched for a trigger whose answer was lost.
ADOPTION_WINDOW = MAX_PAGE_SIZE
# Failures after which the request was certainly not carried out: the connection
# never opened, or dbt Cloud's rate limiter refused it before the API saw it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _may_have_been_processed(failure: httpx.Response | httpx.TransportError) -> bool:
    if isinstance(failure, httpx.Response):
        return failure.status_code != 429
    return not isinstance(failure, _NOT_SENT)


def _failure_name(failure: httpx.Response | httpx.TransportError) -> str:
    if isinstance(failure, httpx.Response):
        return f"HTTP {failure.status_code}"
    return type(failure).__name__


class AdminApiClient:
    """A typed client of the Admin API v2 endpoints the runtime uses.

    Args:
        base_url: The account's access URL with ``/api/v2``, e.g.
            ``https://cloud.getdbt.com/api/v2``.
        account_id: The dbt Cloud account.
        token: The API token.
        transport: An httpx transport (tests pass ``httpx.ASGITransport`` or a mock).
        timeout: Connect/read/write/pool timeouts of each request.
        retry: Which failures are retried and after how long.
        sleep: How to wait between retries (tests pass a recorder).

    Examples:
        >>> client = AdminApiClient("https://cloud.getdbt.com/api/v2", "1", SecretStr("t"))
        >>> client.get_run(42).status  # doctest: +SKIP
        10
    """

    def __init__(
        self,
        base_url: str,
        account_id: str,
        token: SecretStr,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        checked_timeout(timeout, field="timeout")
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=f"{self.base_url}/accounts/{account_id}/",
            auth=TokenAuth(token, "Token"),
            headers={"Accept": "application/json", "User-Agent": "floe-dbt"},
            timeout=timeout,
            transport=transport,
            # dbt Cloud redirects nothing the runtime calls; following one
            # could send the token to another host.
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"AdminApiClient(base_url={self.base_url!r}, account_id={self.account_id!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def trigger_run(self, job_id: int, body: TriggerRunRequest) -> Run:
        """``POST jobs/{job_id}/run/``: start a run of a job, at most once.

        The Admin API has no idempotency key, so a POST whose answer was lost
        (a dropped connection, a read timeout, a 5xx from a proxy) may have
        started a run. Before such a trigger is sent again, and after the last
        attempt, the job's newest runs are searched for one carrying this
        trigger's ``cause``; when there is one it is adopted instead of
        starting a second. ``body.cause`` must therefore be unique per trigger.

        Args:
            job_id: The job to run.
            body: The trigger body (a unique ``cause`` and the overrides).

        Returns:
            The new run (queued), or the run the lost answer would have named.

        Raises:
            DBTRemoteError: The trigger failed, or its answer was lost and the
                job's runs could not be searched (the message names the cause
                to look for, since a run may have started).
        """
        what = f"POST jobs/{job_id}/run/"
        adopted: list[Run] = []

        def find_started_run(failure: httpx.Response | httpx.TransportError) -> bool:
            if not _may_have_been_processed(failure):
                return False
            try:
                run = self.find_run_by_cause(job_id, body.cause)
            except DBTRemoteError as exc:
                raise DBTRemoteError(
                    f"the answer to {what} was lost ({_failure_name(failure)}) and the runs of "
                    f"job {job_id} could not be searched for the run it may have started; "
                    f"before triggering again, look in dbt Cloud for a run of job {job_id} "
                    f"with cause {body.cause!r}",
                    status_code=exc.status_code,
                    user_message=exc.user_message,
                ) from exc
            if run is None:
                return False
            logger.warning(
                "%s: the answer was lost (%s); adopting run %s, which carries this trigger's cause",
                what,
                _failure_name(failure),
                run.id,
            )
            adopted.append(run)
            return True

        response = self._send_until(
            "POST",
            f"jobs/{job_id}/run/",
            what=what,
            json=body.to_json(),
            settled_by=find_started_run,
        )
        if response is None:
            return adopted[-1]
        return parse_model(RunEnvelope, response, what=what).data

    def find_run_by_cause(
        self, job_id: int, cause: str, *, window: int = ADOPTION_WINDOW
    ) -> Run | None:
        """The newest run of a job whose trigger had this ``cause``, among its latest runs.

        Args:
            job_id: The job.
            cause: The exact ``cause`` the run was triggered with.
            window: How many of the job's newest runs are searched (one page).

        Returns:
            The run (without its steps), or None.
        """
        page = self.list_runs(
            job_definition_id=job_id, order_by="-id", limit=window, include_related=("trigger",)
        )
        for run in page.data:
            if (
                run.job_definition_id == job_id
                and run.trigger is not None
                and run.trigger.cause == cause
            ):
                return run
        return None

    def get_run(self, run_id: int, *, include_related: tuple[str, ...] = ("run_steps",)) -> Run:
        """``GET runs/{run_id}/``: the run's status and, by default, its steps.

        Args:
            run_id: The run.
            include_related: Related objects, sent as one comma-separated string.

        Returns:
            The run.
        """
        what = f"GET runs/{run_id}/"
        params = {"include_related": ",".join(include_related)} if include_related else None
        response = self._send("GET", f"runs/{run_id}/", what=what, run_id=run_id, params=params)
        return parse_model(RunEnvelope, response, what=what, run_id=run_id).data

    def cancel_run(self, run_id: int) -> Run:
        """``POST runs/{run_id}/cancel/``: ask dbt Cloud to stop a run.

        Args:
            run_id: The run.

        Returns:
            The run as dbt Cloud sees it after the request.
        """
        what = f"POST runs/{run_id}/cancel/"
        response = self._send("POST", f"runs/{run_id}/cancel/", what=what, run_id=run_id)
        return parse_model(RunEnvelope, response, what=what, run_id=run_id).data

    def list_artifacts(self, run_id: int) -> list[str]:
        """``GET runs/{run_id}/artifacts/``: the artifact paths a run saved."""
        what = f"GET runs/{run_id}/artifacts/"
        response = self._send("GET", f"runs/{run_id}/artifacts/", what=what, run_id=run_id)
        return parse_model(ArtifactList, response, what=what, run_id=run_id).data

    def get_artifact(self, run_id: int, path: str, *, step: int | None = None) -> bytes:
        """``GET runs/{run_id}/artifacts/{path}``: one raw artifact file.

        Args:
            run_id: The run.
            path: The artifact, e.g. ``run_results.json``.
            step: The 1-based step whose artifact to read. Without it dbt Cloud
                answers with the *last* step's file, which is rarely the one
                wanted; callers should pass it.

        Returns:
            The file's bytes.
        """
        what = f"GET runs/{run_id}/artifacts/{path}" + (f"?step={step}" if step else "")
        params = {"step": str(step)} if step is not None else None
        response = self._send(
            "GET", f"runs/{run_id}/artifacts/{path}", what=what, run_id=run_id, params=params
        )
        return response.content

    def list_runs(
        self,
        *,
        job_definition_id: int | None = None,
        status: RunStatus | None = None,
        order_by: str = "id",
        limit: int = MAX_PAGE_SIZE,
        offset: int = 0,
        include_related: tuple[str, ...] = (),
    ) -> RunListEnvelope:
        """``GET runs/``: one page of the account's runs, filtered and ordered.

        Runs come without their steps (the endpoint cannot include
        ``run_steps``); :meth:`get_run` a run to read them.

        Args:
            job_definition_id: Only this job's runs.
            status: Only runs with this status.
            order_by: ``id``, ``created_at`` or ``finished_at``; a leading ``-`` reverses.
            limit: Runs per page, 1 to :data:`MAX_PAGE_SIZE`.
            offset: Runs to skip.
            include_related: Related objects (``trigger`` ...), sent as one
                comma-separated string.

        Returns:
            The page (``data``) and ``extra.pagination``.

        Raises:
            ValueError: ``order_by``, ``limit`` or ``offset`` is out of range.
        """
        if order_by not in _RUN_ORDERINGS:
            raise ValueError(f"order_by must be one of {sorted(_RUN_ORDERINGS)}, got {order_by!r}")
        if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
            raise ValueError(
                f"limit must be 1 to {MAX_PAGE_SIZE} and offset >= 0, got {limit} and {offset}"
            )
        params: dict[str, str] = {}
        if job_definition_id is not None:
            params["job_definition_id"] = str(job_definition_id)
        params["order_by"] = order_by
        if status is not None:
            params["status"] = str(int(status))
        params["limit"] = str(limit)
        if offset:
            params["offset"] = str(offset)
        if include_related:
            params["include_related"] = ",".join(include_related)
        what = "GET runs/?" + "&".join(f"{key}={value}" for key, value in params.items())
        response = self._send("GET", "runs/", what=what, params=params)
        return parse_model(RunListEnvelope, response, what=what)

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a remote error.

        ``options`` are :meth:`_send_until`'s (``what``, ``run_id``, ``params``, ``json``).
        """
        response = self._send_until(method, path, **options)
        assert response is not None  # only a `settled_by` check can stop early
        return response

    def _send_until(
        self,
        method: str,
        path: str,
        *,
        what: str,
        run_id: int | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        settled_by: Callable[[httpx.Response | httpx.TransportError], bool] | None = None,
    ) -> httpx.Response | None:
        """Send with retries; return a 2xx response, None when settled, or raise.

        ``settled_by`` is asked after every failure that would be retried (and
        after the last one) whether the request already took effect; True
        stops here and returns None.
        """
        attempts = self._retry.attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                if settled_by is not None and settled_by(exc):
                    return None
                if last:
                    raise DBTRemoteError(
                        f"dbt Cloud at {self.base_url} could not be reached for {what} after "
                        f"{attempts} attempts ({type(exc).__name__})",
                        run_id=run_id,
                    ) from exc
                delay = self._retry.delay(attempt)
                logger.warning(
                    "%s failed (%s); retrying in %.1f s", what, type(exc).__name__, delay
                )
                self._sleep(delay)
                continue
            if response.is_success:
                return response
            if not self._retry.should_retry_response(response):
                raise self._error(response, what, run_id, attempt + 1)
            if settled_by is not None and settled_by(response):
                return None
            if last:
                raise self._error(response, what, run_id, attempt + 1)
            delay = self._retry.delay(attempt, response)
            logger.warning(
                "%s answered HTTP %d; retrying in %.1f s", what, response.status_code, delay
            )
            self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _error(
        self, response: httpx.Response, what: str, run_id: int | None, attempts: int
    ) -> DBTRemoteError:
        return remote_error(
            response,
            what=what,
            run_id=run_id,
            attempts=attempts,
            base_url=self.base_url,
            account_id=self.account_id,
        )
