"""Broken variants of the cloud runtime: each talks to dbt Cloud wrongly in one way.

Each subclasses the correct ``DBTCloudPlugin`` and changes one thing about its
conversation with the service (its retry policy, its cancel, its trigger);
the kit must refuse each on the ``remote.*`` rows ``variants.CLOUD_VARIANTS``
lists, through the emulator's request log under injected faults.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import httpx

from floe_dbt_cloud.client import AdminApiClient
from floe_dbt_cloud.models import Run
from floe_dbt_cloud.plugin import DBTCloudPlugin
from floe_dbt_cloud.retry import RetryPolicy


class _Broken(DBTCloudPlugin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.break_client(self._connection.client)

    def break_client(self, client: AdminApiClient) -> None:
        raise NotImplementedError


class NeverRetries(_Broken):
    """Every failure is final: no retry at all."""

    def break_client(self, client: AdminApiClient) -> None:
        client._retry = RetryPolicy(delays=())


class _RetriesEverything(RetryPolicy):
    def should_retry_response(self, response: httpx.Response) -> bool:
        return response.status_code >= 400


class RetriesAnswers(_Broken):
    """401, 403 and 404 are retried like a 503 (dagster-dbt's bug)."""

    def break_client(self, client: AdminApiClient) -> None:
        client._retry = _RetriesEverything()


class ShortBackoff(_Broken):
    """Retries three times, but 0.2, 0.4 and 0.8 s apart instead of 2, 4 and 8."""

    def break_client(self, client: AdminApiClient) -> None:
        client._retry = RetryPolicy(delays=(0.2, 0.4, 0.8))


class _DeafToRetryAfter(RetryPolicy):
    def delay(self, retry_number: int, response: httpx.Response | None = None) -> float:
        return self.delays[retry_number]


class IgnoresRetryAfter(_Broken):
    """Backs off on its own schedule whatever Retry-After says."""

    def break_client(self, client: AdminApiClient) -> None:
        client._retry = _DeafToRetryAfter()


class NeverCancels(_Broken):
    """Gives up on a run that outlives the timeout but leaves it running (Airflow's bug)."""

    def break_client(self, client: AdminApiClient) -> None:
        def cancel_run(run_id: int) -> Run:
            # Says the run was asked to stop, without asking dbt Cloud.
            return Run(id=run_id, account_id=int(client.account_id), job_definition_id=1, status=3)

        client.cancel_run = cancel_run  # type: ignore[method-assign]


class Retriggers(_Broken):
    """Sends a trigger again when its answer is lost, without looking for the run it started."""

    def break_client(self, client: AdminApiClient) -> None:
        send = client._send_until

        def send_until(*args: Any, settled_by: Any = None, **kwargs: Any) -> Any:
            return send(*args, **kwargs)

        client._send_until = send_until  # type: ignore[method-assign]


class FragileArtifacts(_Broken):
    """Retries triggers and polls, but an artifact download fails on its first fault.

    Every ``remote.*`` row injects faults into triggers and polls only; chaos
    also hits artifact downloads.
    """

    def break_client(self, client: AdminApiClient) -> None:
        send = client._send_until

        def send_until(method: str, path: str, **options: Any) -> Any:
            if "/artifacts/" not in path:
                return send(method, path, **options)
            policy, client._retry = client._retry, RetryPolicy(delays=())
            try:
                return send(method, path, **options)
            finally:
                client._retry = policy

        client._send_until = send_until  # type: ignore[method-assign]


class PollsAtFixedRate(DBTCloudPlugin):
    """Polls every ``poll_interval_seconds`` exactly, with no backoff at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        connection = self._connection
        interval = connection.waiting.poll_interval

        def fixed(_asked: float) -> None:
            time.sleep(interval)

        waiting = dataclasses.replace(connection.waiting, sleep=fixed)
        self._connection = dataclasses.replace(connection, waiting=waiting)


class PollsTheRunsList(_Broken):
    """Learns how its run is doing from the account's runs list (GET runs/), not GET runs/{id}/.

    Once the list says the run is over, it reads the run (with its steps) once.
    """

    def break_client(self, client: AdminApiClient) -> None:
        get_run, list_runs = client.get_run, client.list_runs

        def from_the_list(run_id: int, **options: Any) -> Run:
            listed = list_runs(order_by="-id", limit=10).data
            run = next(run for run in listed if run.id == run_id)
            return get_run(run_id, **options) if run.is_terminal else run

        client.get_run = from_the_list  # type: ignore[method-assign]


class CacheRecordsOneJob(DBTCloudPlugin):
    """Files every run's cache entry under the compile job, whichever job ran it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        store = self.cache.store
        compile_job = self.job_ids.compile

        def store_as_compile(run_id: int | str, **options: Any) -> Any:
            return store(run_id, **{**options, "job_id": compile_job})

        self.cache.store = store_as_compile  # type: ignore[method-assign]
