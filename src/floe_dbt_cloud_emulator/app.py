"""The HTTP face of the emulator: Admin API v2 routes and the Discovery endpoint (Starlette).

Every route goes through :func:`_endpoint`, which counts the request, applies
a programmed fault, checks the token, holds the request to dbt Cloud's API
document (:mod:`~floe_dbt_cloud_emulator.openapi`) and the answer too — in
that order, so a fault can hit a request whatever its credentials, as a
proxy's would, and a request without a valid token is refused before it is
read, as dbt Cloud does. A lost-response fault is the exception: the request
is carried out as usual (token included), then its connection is dropped
instead of answered. Every request lands in the emulator's request log.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from floe_dbt_cloud_emulator.discovery import execute_discovery_query
from floe_dbt_cloud_emulator.faults import HttpFault
from floe_dbt_cloud_emulator.openapi import PAGE_LIMIT, Checked, check_request, check_response
from floe_dbt_cloud_emulator.request_log import LoggedRequest, RequestLog

if TYPE_CHECKING:
    from floe_dbt_cloud_emulator.core import DbtCloudEmulator

__all__ = ["INVALID_REQUEST", "TRANSPORT_SCOPE_KEY", "build_app", "envelope"]

logger = logging.getLogger("floe_dbt_cloud_emulator")

# serve_emulator's protocol puts the TCP transport here so a fault can drop it.
TRANSPORT_SCOPE_KEY = "floe.transport"
INVALID_REQUEST = "The request was invalid. Please double check the provided data and try again."
Handler = Callable[[Request], Awaitable[Response]]
_API = "/api/v2/accounts/{account_id:int}"
_DOCUMENT_API = "/api/v2/accounts/{account_id}"


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


def _describe(fault: HttpFault) -> str:
    if fault.kind == "status":
        after = "" if fault.retry_after is None else f" Retry-After {fault.retry_after}"
        return f"status {fault.status}{after}"
    if fault.kind == "hang":
        return f"hang {fault.seconds:g}s"
    return fault.kind


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


def _endpoint(route: str, handler: Handler, document_path: str | None = None) -> Handler:
    """The route's handler behind counting, faults, auth and the API document.

    ``document_path`` is the operation's path in the API document, whose answer schema
    the handler's 200 answers are held to (None: not an operation of the document).
    """

    async def wrapped(request: Request) -> Response:
        emulator: DbtCloudEmulator = request.app.state.emulator
        received = RequestLog.now()
        emulator.counters.record_request(route)
        fault = emulator.faults.take_http(route)
        answered: int | None = None
        try:
            if fault is not None and fault.kind == "lose_response":
                # The request is carried out in full; only its answer never arrives.
                response = await _answer(request, emulator, document_path, handler)
                _drop_connection(request)
                return response
            if fault is not None and fault.kind != "hang":
                response = await _apply_fault(fault, request, emulator)
                answered = None if fault.kind == "drop" else response.status_code
                return response
            if fault is not None:
                await emulator.wait_unless_closing(fault.seconds)
            response = await _answer(request, emulator, document_path, handler)
            answered = response.status_code
            return response
        finally:
            emulator.requests.add(
                LoggedRequest(
                    route=route,
                    method=request.method,
                    path=request.url.path,
                    query=request.url.query,
                    received=received,
                    status=answered,
                    answered=RequestLog.now(),
                    fault=None if fault is None else _describe(fault),
                    run_fault=request.scope.get("floe.run_fault"),
                    refused=request.scope.get("floe.refused", {}),
                    run_id=request.path_params.get("run_id", request.scope.get("floe.run_id")),
                    job_id=request.path_params.get("job_id"),
                )
            )

    return wrapped


async def _answer(
    request: Request, emulator: DbtCloudEmulator, document_path: str | None, handler: Handler
) -> Response:
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
    if document_path is None:
        return await handler(request)
    body = await request.body()
    checked = check_request(request, body)
    if checked.refused:
        request.scope["floe.refused"] = dict(checked.refused)
        logger.warning(
            "refused %s %s: the API document does not allow it: %s",
            request.method,
            request.url.path,
            dict(checked.refused),
        )
        return _error(400, INVALID_REQUEST, dict(checked.refused))
    request.state.checked = checked
    response = await handler(request)
    if response.status_code == 200:
        problems = check_response(document_path, request.method.lower(), response)
        if problems:
            # The emulator's own bug: loud, never passed on as if dbt Cloud said it.
            emulator.api_violations.append(f"{request.method} {request.url.path}: {problems}")
            logger.error(
                "answer to %s %s breaks the API document: %s",
                request.method,
                request.url.path,
                problems,
            )
            message = "The emulator's answer does not match dbt Cloud's API document."
            body_500 = envelope(
                None, code=500, user_message=message, developer_message="; ".join(problems)
            )
            return JSONResponse(body_500, 500)
    return response


def _authorised(request: Request, token: str) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme in ("Token", "Bearer") and secrets.compare_digest(value.strip(), token)


def _checked(request: Request) -> Checked:
    checked: Checked = request.state.checked
    return checked


def _run_or_404(request: Request) -> Any:
    emulator: DbtCloudEmulator = request.app.state.emulator
    return emulator.runs.get(request.path_params["run_id"])


def _related(request: Request) -> set[str]:
    text = _checked(request).query.get("include_related") or ""
    return {part.strip() for part in str(text).split(",")}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def trigger_run(request: Request) -> Response:
    """``POST jobs/{job_id}/run/`` (its body already held to ``TriggerRunRequestRequest``)."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    job_id = request.path_params["job_id"]
    if job_id not in emulator.jobs:
        return _error(404, "The requested job was not found.")
    body = _checked(request).body or {}
    started = emulator.start_run(job_id, body, base_url=_base_url(request))
    request.scope["floe.run_id"] = started["id"]  # for the request log
    request.scope["floe.run_fault"] = emulator.get_run(started["id"]).fault_described()
    return JSONResponse(envelope(started))


_RUN_ORDERINGS = {"id": "id", "created_at": "created_at", "finished_at": "finished_at"}


async def list_runs(request: Request) -> Response:
    """``GET runs/``: filtered by job and status, ordered, paged with ``limit``/``offset``."""
    emulator: DbtCloudEmulator = request.app.state.emulator
    query = _checked(request).query
    job_id = query.get("job_definition_id")
    status = query.get("status")
    limit = query.get("limit", PAGE_LIMIT)
    offset = query.get("offset", 0)
    paging = {
        "limit": [f"Ensure this value is between 1 and {PAGE_LIMIT}."]
        if not 1 <= limit <= PAGE_LIMIT
        else [],
        "offset": ["Ensure this value is greater than or equal to 0."] if offset < 0 else [],
    }
    if any(paging.values()):
        return _error(400, INVALID_REQUEST, {key: value for key, value in paging.items() if value})
    order_by = str(query.get("order_by", "id"))
    field = _RUN_ORDERINGS.get(order_by.removeprefix("-"))
    if field is None:
        return _error(
            400,
            INVALID_REQUEST,
            {"order_by": [f"Cannot order by {order_by!r}: use id, created_at or finished_at."]},
        )
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
    step = _checked(request).query.get("step")
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


# route name -> (its path here, its handler, its path in the API document, its method).
_ROUTES = (
    ("trigger_run", "/jobs/{job_id:int}/run/", trigger_run, "/jobs/{job_id}/run/", "POST"),
    ("list_runs", "/runs/", list_runs, "/runs/", "GET"),
    ("get_run", "/runs/{run_id:int}/", get_run, "/runs/{id}/", "GET"),
    ("cancel_run", "/runs/{run_id:int}/cancel/", cancel_run, "/runs/{run_id}/cancel/", "POST"),
    (
        "list_artifacts",
        "/runs/{run_id:int}/artifacts/",
        list_artifacts,
        "/runs/{run_id}/artifacts/",
        "GET",
    ),
    (
        "get_artifact",
        "/runs/{run_id:int}/artifacts/{path:path}",
        get_artifact,
        "/runs/{run_id}/artifacts/{remainder}",
        "GET",
    ),
    (
        "get_job_artifact",
        "/jobs/{job_id:int}/artifacts/{path:path}",
        get_job_artifact,
        "/jobs/{job_id}/artifacts/{remainder}",
        "GET",
    ),
)


def build_app(emulator: DbtCloudEmulator) -> Starlette:
    """The ASGI app of one emulator."""
    routes = [
        Route(_API + path, _endpoint(name, handler, _DOCUMENT_API + operation), methods=[method])
        for name, path, handler, operation, method in _ROUTES
    ]
    # GraphQL is checked by graphql-core against the Discovery SDL, not by the Admin document.
    routes.append(Route("/graphql", _endpoint("discovery", discovery), methods=["POST"]))
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    return app
