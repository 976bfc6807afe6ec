"""The API token on the wire: one ``httpx.Auth`` that adds the header and never shows it."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr

__all__ = ["TokenAuth"]


class TokenAuth(httpx.Auth):
    """Adds ``Authorization: <scheme> <token>`` to each request, and never shows it.

    Args:
        token: The API token.
        scheme: ``Token`` for the Admin API, ``Bearer`` for the Discovery API.
    """

    def __init__(self, token: SecretStr, scheme: str = "Token") -> None:
        self._token = token
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header on the outgoing request."""
        request.headers["Authorization"] = f"{self._scheme} {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return f"TokenAuth(scheme={self._scheme!r}, token=SecretStr('**********'))"
