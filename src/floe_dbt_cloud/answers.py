"""What dbt Cloud answered: a validated model, or an error a person can act on.

An answer is never trusted: a success is validated by its pydantic model
(:func:`parse_model`), and a failure becomes a
:class:`~floe_core.errors.DBTRemoteError` with the HTTP status, the run and
dbt Cloud's ``user_message`` (:func:`remote_error`). A response body is never
echoed into an error.
"""

from __future__ import annotations

import json
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from floe_core.errors import DBTAuthenticationError, DBTRemoteError

__all__ = ["parse_model", "remote_error", "shape_problems", "user_message"]

_DEFAULT_HOST = "cloud.getdbt.com"
ModelT = TypeVar("ModelT", bound=BaseModel)


def user_message(response: httpx.Response) -> str | None:
    """The ``status.user_message`` of an error answer, if it has one."""
    # Error bodies are usually the envelope, but a proxy or a 502 page may not be JSON.
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    status = payload.get("status") if isinstance(payload, dict) else None
    message = status.get("user_message") if isinstance(status, dict) else None
    return message if isinstance(message, str) and message else None


def parse_model(
    model: type[ModelT], response: httpx.Response, *, what: str, run_id: int | None = None
) -> ModelT:
    """Validate a JSON answer, turning any surprise into a clear remote error.

    Args:
        model: The pydantic model the answer must fit.
        response: A successful response.
        what: The call, for the message (e.g. ``GET runs/42/``).
        run_id: The run concerned, when known.

    Returns:
        The validated model.

    Raises:
        DBTRemoteError: The body is not JSON or not of the expected shape.
    """
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DBTRemoteError(
            f"dbt Cloud answered {what} with a body that is not JSON "
            f"({response.headers.get('content-type', 'no content type')}, "
            f"{len(response.content)} bytes)",
            status_code=response.status_code,
            run_id=run_id,
        ) from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise DBTRemoteError(
            f"dbt Cloud's answer to {what} does not have the expected shape "
            f"({shape_problems(exc)})",
            status_code=response.status_code,
            run_id=run_id,
        ) from None


def shape_problems(exc: ValidationError) -> str:
    """The first few places where an answer departs from its model, never the values there.

    ``include_input=False``: a response body is never echoed into an error.
    """
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)[:3]
    )


def remote_error(
    response: httpx.Response,
    *,
    what: str,
    run_id: int | None,
    attempts: int,
    base_url: str,
    account_id: str,
) -> DBTRemoteError:
    """The error an answer that is not a success becomes, with what a person can do about it.

    Args:
        response: The answer (not 2xx).
        what: The call, for the message (e.g. ``GET runs/42/``).
        run_id: The run concerned, when known.
        attempts: How many times the call was sent.
        base_url: The API's base URL (its host decides the hint of a 401).
        account_id: The account, for the message.

    Returns:
        :class:`~floe_core.errors.DBTAuthenticationError` for 401/403, else
        :class:`~floe_core.errors.DBTRemoteError`, each with dbt Cloud's
        ``user_message`` when the body has one.
    """
    status = response.status_code
    message = user_message(response)
    if status in (401, 403):
        hint = (
            "check that the API token (api_token_ref) is valid and allowed to use "
            f"account {account_id}"
        )
        if status == 401 and urlsplit(base_url).hostname == _DEFAULT_HOST:
            hint += (
                "; a token that is valid elsewhere gets 'Invalid token.' here when the "
                "account lives on another access URL (emea.dbt.com, au.dbt.com or a "
                "cell-based <prefix>.us1.dbt.com): set base_url to your account's access URL"
            )
        return DBTAuthenticationError(
            f"dbt Cloud refused {what}: {hint}",
            status_code=status,
            run_id=run_id,
            user_message=message,
        )
    if status == 404:
        return DBTRemoteError(
            f"dbt Cloud found nothing at {what} in account {account_id}; "
            "check account_id and job_ids in manifest.yaml",
            status_code=status,
            run_id=run_id,
            user_message=message,
        )
    retried = f" after {attempts} attempts" if attempts > 1 else ""
    return DBTRemoteError(
        f"dbt Cloud failed {what}{retried}",
        status_code=status,
        run_id=run_id,
        user_message=message,
    )
