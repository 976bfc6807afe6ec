"""dbt Cloud's published API document, held to every request and answer of the emulator.

The document is a copy of the parts the emulator serves
(``dbt_cloud_api_v2.yaml``, its source named in its header), read once per
process. openapi-core checks a request (finds its operation, casts and
checks its path and query parameters, checks its body);
openapi-schema-validator checks an answer's body against the operation's
answer schema, compiled once. The handlers
read a request through :class:`Checked` (the body and parameters as the
document types them), never through the cloud runtime's models: the emulator
and the client each read the document on their own.

What the document refuses is answered as dbt Cloud answers it: 400, the
``{"status", "data"}`` envelope, ``data`` naming each field and what is wrong
with it (Django REST framework's shape, which dbt Cloud's API is built on).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.starlette.requests import StarletteOpenAPIRequest
from openapi_core.validation.request.exceptions import (
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["DOCUMENT", "PAGE_LIMIT", "Checked", "check_request", "check_response"]

DOCUMENT = "dbt_cloud_api_v2.yaml"
# The document's "Pagination" section: `limit` "can be an integer up to 100" (prose only:
# the parameter's schema has no maximum, so the emulator enforces it here).
PAGE_LIMIT = 100
_BODY = "non_field_errors"
_URN = "urn:floe:dbt-cloud-api-v2"


@functools.lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    text = importlib.resources.files(__package__).joinpath(DOCUMENT).read_text(encoding="utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


@functools.lru_cache(maxsize=1)
def _document() -> OpenAPI:
    return OpenAPI.from_dict(_spec())


@dataclass(frozen=True)
class Checked:
    """A request the document accepts: its parameters and body as the document types them.

    Attributes:
        query: The query parameters present, cast to the document's types.
        body: The JSON body (an object), or None for an operation without one.
        refused: Field -> what is wrong with it, when the document refuses the request.
    """

    query: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    refused: Mapping[str, list[str]] = field(default_factory=dict)


def _messages(error: Exception) -> Iterable[tuple[str, str]]:
    cause = error.__cause__
    if isinstance(error, ParameterValidationError):
        detail = str(cause) if cause is not None else str(error)
        yield error.name, f"{detail} ({error.location} parameter)"
    elif isinstance(error, RequestBodyValidationError):
        problems = getattr(cause, "schema_errors", None)
        if not problems:
            yield _BODY, str(error)
            return
        for problem in problems:
            path = [str(part) for part in problem.absolute_path]
            if problem.validator == "required" and isinstance(problem.instance, Mapping):
                # Named by the field that is missing, as dbt Cloud (DRF) names it.
                for name in problem.validator_value:
                    if name not in problem.instance:
                        yield ".".join([*path, name]), "This field is required."
                continue
            yield ".".join(path) or _BODY, problem.message
    else:
        yield _BODY, str(error)


def check_request(request: Request, body: bytes) -> Checked:
    """Hold ``request`` (with its ``body``) to the document.

    Returns:
        What the document makes of it; :attr:`Checked.refused` is empty when it is allowed.
    """
    result = _document().unmarshal_request(StarletteOpenAPIRequest(request, body or None))
    refused: dict[str, list[str]] = {}
    for error in result.errors:
        for where, message in _messages(error):
            refused.setdefault(where, []).append(message)
    query = dict(result.parameters.query) if not refused else {}
    payload = result.body if isinstance(result.body, Mapping) else None
    return Checked(query=query, body=payload, refused=refused)


@functools.cache
def _answer_validator(path: str, method: str) -> OAS30Validator | None:
    """The compiled schema of an operation's 200 JSON answer (None: not JSON, e.g. a file)."""
    spec = _spec()
    answer = spec["paths"][path][method]["responses"]["200"]
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    registry: Registry[Any] = Registry().with_resource(
        _URN, Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return OAS30Validator({"$ref": _URN + schema["$ref"]}, registry=registry)


def check_response(path: str, method: str, response: Response) -> list[str]:
    """What the document finds wrong with ``response`` to ``method path`` (empty: nothing).

    Only answers the document describes are checked (its operations document
    200 alone, in JSON or as a file); error envelopes follow dbt Cloud's
    observed shape instead (``developer_message`` may be null there, which the
    document's ``ResponseStatus`` does not allow). The schema is compiled once
    (openapi-schema-validator): a poll costs well under a millisecond.

    Args:
        path: The operation's path in the document (``/api/v2/accounts/{account_id}/runs/``).
        method: ``get`` or ``post``.
        response: The answer about to be sent.
    """
    validator = _answer_validator(path, method)
    if validator is None or response.status_code != 200:
        return []
    try:
        document = json.loads(bytes(response.body))
    except ValueError as exc:
        return [f"body: not JSON ({exc})"]
    return [
        f"{'.'.join(str(part) for part in problem.absolute_path) or 'body'}: {problem.message}"
        for problem in validator.iter_errors(document)
    ]
