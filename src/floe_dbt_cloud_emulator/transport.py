"""A synchronous httpx transport onto the emulator's ASGI app, for in-process tests.

``httpx.ASGITransport`` only serves async clients, and the runtime's client is
synchronous; this wraps it and runs each request on a private event loop.
No socket is opened, so connection counters stay at zero in-process.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import ASGIApp

__all__ = ["IN_PROCESS_BASE_URL", "IN_PROCESS_DISCOVERY_URL", "SyncASGITransport"]

# https: the runtime refuses plain http off loopback, and the scheme never leaves
# the process (the transport serves the request itself; no TLS, no socket).
IN_PROCESS_BASE_URL = "https://emulator.invalid/api/v2"
IN_PROCESS_DISCOVERY_URL = "https://emulator.invalid/graphql"


class SyncASGITransport(httpx.BaseTransport):
    """Serve a synchronous ``httpx.Client`` from an ASGI app, in-process.

    Args:
        app: The ASGI app (``emulator.app``).

    Examples:
        >>> client = httpx.Client(transport=SyncASGITransport(emulator.app))  # doctest: +SKIP
    """

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app and return the buffered response."""

        async def call() -> tuple[httpx.Response, bytes]:
            response = await self._inner.handle_async_request(request)
            return response, await response.aread()

        response, body = asyncio.run(call())
        return httpx.Response(response.status_code, headers=response.headers, content=body)
