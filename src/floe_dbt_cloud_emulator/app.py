"""The HTTP face of the emulator: Admin API v2 routes and the Discovery endpoint (Starlette).

Every route goes through :func:`_endpoint`, which counts the request, applies
a programmed fault, and checks the token — in that order, so a fault can hit
a request whatever its credentials, as a proxy's would. A lost-response fault
is the exception: the request is carried out as usual (token included), then
its connection is dropped instead of answered.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from floe_dbt_cloud.client import MAX_PAGE_SIZE
from floe_dbt_cloud.models import TriggerRunRequest
from floe_dbt_cloud_emulator.discovery import execute_discovery_query
from floe_dbt_cloud_emulator.faults import HttpFault

if TYPE_CHECKING:
    from floe_dbt_cloud_emulator.core import DbtCloudEmulator

__all__ = ["TRANSPORT_SCOPE_KEY", "build_app", "envelope"]

# serve_emulator's protocol puts the TCP transport here so a fault can drop it.
TRANSPORT_SCOPE_KEY = "floe.transport"
Handler = Callable[[Request], Awaitable[Response]]
_API = "/api/v2/accounts/{account_id:int}"


def envelope(
    data: Any, *, code: int = 200, user_message: str = "Success!", developer_message: str = ""
) -> dict[str, Any]:
    """Dbt Cloud's ``{"status": ..., "data": ...}`` wrapper."""
    return {
        "status": {
            "code": code,
            "is_success": 200 <= code < 300,
            "user_message": user_message,
            "developer_message": developer_message,
        },
        "data": data,
    }


def _error(code: int, user_message: str, data: Any = None, **headers: str) -> JSONResponse:
    return JSONResponse(envelope(data, code=code, user_message=user_message), code, headers)


_FAULT_MESSAGES = {
    401: "Invalid token.",
    403: "You do not have permission to perform this action.",
    404: "The requested resource was not found.",
    429: "Too many requests. Please slow down.",
}


async def _apply_fault(fault: HttpFault, request: Request, emulator: DbtCloudEmulator) -> Response:
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        message = _FAULT_MESSAGES.get(fault.status, "An unexpected error occurred.")
        return _error(fault.status, message, **headers)
    if fault.kind == "malformed_json":
        return Response(b'{"status": {"code": 200, "is_su', 200, media_type="application/json")
    if fault.kind == "wrong_shape":
        return JSONResponse({"status": {"code": 200}, "data": {"unexpected": [1, 2, 3]}})
    _drop_connection(request)
    return Response(status_code=204)  # never reaches the client: the connection is gone


def _drop_connection(request: Request) -> None:
    transport = request.scope.get(TRANSPORT_SCOPE_KEY)
    if transport is None:
        raise RuntimeError("a dropped connection needs the real server (serve_emulator)")
    transport.abort()


def _endpoint(route: str, handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        emulator: DbtCloudEmulator = request.app.state.emulator
        emulator.counters.record_request(route)
        fault = emulator.faults.take_http(route)
        if fault is not None and fault.kind == "lose_response":
            # The request is carried out in full; only its answer never arrives.
            response = await _answer(request, emulator, handler)
            _drop_connection(request)
            return response
        if fault is not None:
            if fault.kind != "hang":
                return await _apply_fault(fault, request, emulator)
            await emulator.wait_unless_closing(fault.seconds)
        return await _answer(request, emulator, handler)

    return wrapped


async def _answer(request: Request, emulator: DbtCloudEmulator, handler: Handler) -> Response:
    if not _authorised(request, emulator.token):
        return _error(
            401,
            "Invalid token."
            if "authorization" in request.headers
            else ("Authentication credentials were not provided."),
        )
    account = request.path_params.get("account_id")
    if account is not None and account != emulator.account_id:
        return _error(403, "You do not have permission to access this account.")
    return await handler(request)


def _authorised(request: Request, token: str) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme in ("Token", "Bearer") and secrets.compare_digest(value.strip(), token)


def _run_or_404(request: Request) -> Any:
    emulator: DbtCloudEmulator = request.app.state.emulator
    return emulator.runs.get(request.path_params["run_id"])


def _related(request: Request) -> set[str]:
    return {part.strip() for part in request.query_params.get("include_related", "").split(",")}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def trigger_run(request: Request) -> Response:
    """``POST jobs/{job_id}/run/``."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    job_id = request.path_params["job_id"]
    if job_id not in emulator.jobs:
        return _error(404, "The requested job was not found.")
    try:
        payload = json.loads(await request.body() or b"null")
    except ValueError:
        return _error(400, "JSON parse error - the request body is not valid JSON.")
    if not isinstance(payload, dict):
        return _error(400, "The request was invalid.", {"cause": ["This field is required."]})
    try:
        body = TriggerRunRequest.model_validate(payload)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for problem in exc.errors(include_url=False, include_input=False):
            fields.setdefault(".".join(map(str, problem["loc"])), []).append(problem["msg"])
        return _error(
            400,
            "The request was invalid. Please double check the provided data and try again.",
            fields,
        )
    return JSONResponse(envelope(emulator.start_run(job_id, body, base_url=_base_url(request))))


_RUN_ORDERINGS = {"id": "id", "created_at": "created_at", "finished_at": "finished_at"}


def _int_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    return None if text is None or text == "" else int(text)


async def list_runs(request: Request) -> Response:
    """``GET runs/``: filtered by job and status, ordered, paged with ``limit``/``offset``."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    try:
        job_id = _int_param(request, "job_definition_id")
        status = _int_param(request, "status")
        limit = _int_param(request, "limit") or MAX_PAGE_SIZE
        offset = _int_param(request, "offset") or 0
    except ValueError:
        return _error(400, "job_definition_id, status, limit and offset must be integers.")
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        return _error(
            400, f"limit must be between 1 and {MAX_PAGE_SIZE} and offset must not be negative."
        )
    order_by = request.query_params.get("order_by", "id")
    field = _RUN_ORDERINGS.get(order_by.removeprefix("-"))
    if field is None:
        return _error(400, f"Cannot order by {order_by!r}: use id, created_at or finished_at.")
    base_url = _base_url(request)
    # The list endpoint cannot include run_steps (dbt Cloud's own limit), only trigger & co.
    with_trigger = "trigger" in _related(request)
    runs = [
        run.to_api(base_url, include_steps=False, include_trigger=with_trigger)
        for run in emulator.list_runs()
        if (job_id is None or run.job_id == job_id) and (status is None or run.status == status)
    ]
    # Runs not finished yet sort as dbt Cloud's NULLs do: after every timestamp.
    runs.sort(key=lambda run: (run[field] is None, run[field] or ""))
    if order_by.startswith("-"):
        runs.reverse()
    page = runs[offset : offset + limit]
    body = envelope(page)
    body["extra"] = {
        "filters": {
            key: value
            for key, value in {
                "job_definition_id": job_id,
                "status": status,
                "limit": limit,
                "offset": offset,
            }.items()
            if value is not None
        },
        "order_by": order_by,
        "pagination": {"count": len(page), "total_count": len(runs)},
    }
    return JSONResponse(body)


async def get_run(request: Request) -> Response:
    """``GET runs/{run_id}/`` (``include_related=run_steps`` adds the steps)."""
    run = _run_or_404(request)
    if run is None:
        return _error(404, "The requested run was not found.")
    related = _related(request)
    data = run.to_api(
        _base_url(request),
        include_steps="run_steps" in related,
        include_trigger="trigger" in related,
    )
    return JSONResponse(envelope(data))


async def cancel_run(request: Request) -> Response:
    """``POST runs/{run_id}/cancel/``."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    emulator.counters.record_cancel()
    run = _run_or_404(request)
    if run is None:
        return _error(404, "The requested run was not found.")
    run.cancel_requested.set()
    return JSONResponse(envelope(run.to_api(_base_url(request), include_steps=False)))


async def list_artifacts(request: Request) -> Response:
    """``GET runs/{run_id}/artifacts/``."""
    run = _run_or_404(request)
    if run is None:
        return _error(404, "The requested run was not found.")
    return JSONResponse(envelope(run.artifact_names()))


def _file(path: Path | None) -> Response:
    if path is None:
        return _error(404, "The requested artifact was not found.")
    # Read in one go rather than FileResponse's chunked thread-pool reads: each
    # hand-off costs milliseconds on a busy machine, and the latency benchmark
    # measures the runtime, not the emulator's file serving.
    return Response(path.read_bytes(), media_type="application/json")


async def get_artifact(request: Request) -> Response:
    """``GET runs/{run_id}/artifacts/{path}``: the raw file (the last step's without ``step``)."""
    run = _run_or_404(request)
    if run is None:
        return _error(404, "The requested run was not found.")
    step_text = request.query_params.get("step")
    try:
        step = int(step_text) if step_text is not None else None
    except ValueError:
        return _error(400, "step must be an integer.")
    return _file(run.artifact(request.path_params["path"], step))


async def get_job_artifact(request: Request) -> Response:
    """``GET jobs/{job_id}/artifacts/{path}``: the job's latest finished run's artifact."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    job_id = request.path_params["job_id"]
    if job_id not in emulator.jobs:
        return _error(404, "The requested job was not found.")
    return _file(emulator.latest_job_artifact(job_id, request.path_params["path"]))


async def discovery(request: Request) -> Response:
    """``POST /graphql``: the Discovery API subset."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    try:
        payload = json.loads(await request.body())
        query = payload["query"]
        variables = payload.get("variables")
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"errors": [{"message": "Must provide query string."}]}, 400)
    body = execute_discovery_query(emulator.environments, query, variables)
    return JSONResponse(body)


def build_app(emulator: DbtCloudEmulator) -> Starlette:
    """The ASGI app of one emulator."""
    routes = [
        Route(
            f"{_API}/jobs/{{job_id:int}}/run/",
            _endpoint("trigger_run", trigger_run),
            methods=["POST"],
        ),
        Route(f"{_API}/runs/", _endpoint("list_runs", list_runs), methods=["GET"]),
        Route(f"{_API}/runs/{{run_id:int}}/", _endpoint("get_run", get_run), methods=["GET"]),
        Route(
            f"{_API}/runs/{{run_id:int}}/cancel/",
            _endpoint("cancel_run", cancel_run),
            methods=["POST"],
        ),
        Route(
            f"{_API}/runs/{{run_id:int}}/artifacts/",
            _endpoint("list_artifacts", list_artifacts),
            methods=["GET"],
        ),
        Route(
            f"{_API}/runs/{{run_id:int}}/artifacts/{{path:path}}",
            _endpoint("get_artifact", get_artifact),
            methods=["GET"],
        ),
        Route(
            f"{_API}/jobs/{{job_id:int}}/artifacts/{{path:path}}",
            _endpoint("get_job_artifact", get_job_artifact),
            methods=["GET"],
        ),
        Route("/graphql", _endpoint("discovery", discovery), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app
