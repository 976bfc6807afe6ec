"""Serving an emulator over real HTTP on loopback (uvicorn in a thread).

The socket is bound before uvicorn starts (port 0: the OS picks a free port,
with no window for another process to take it), and the context manager
stops the server and joins its thread, so nothing is left running.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from floe_dbt_cloud_emulator.app import TRANSPORT_SCOPE_KEY
from floe_dbt_cloud_emulator.core import DbtCloudEmulator

__all__ = ["EmulatorServer", "serve_emulator"]

_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class EmulatorServer:
    """A running emulator server.

    Attributes:
        base_url: The Admin API base, ``http://127.0.0.1:<port>/api/v2``.
        discovery_url: The Discovery endpoint, ``http://127.0.0.1:<port>/graphql``.
        port: The port it listens on.
        emulator: The emulator it serves.
    """

    base_url: str
    discovery_url: str
    port: int
    emulator: DbtCloudEmulator


def _protocol_class(emulator: DbtCloudEmulator) -> type[H11Protocol]:
    class CountingH11Protocol(H11Protocol):
        """Counts accepted connections and exposes the transport to fault injection."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            emulator.counters.record_connection()
            connection = transport.get_extra_info("socket")
            if connection is not None:
                # uvicorn writes headers and body separately; without NODELAY the
                # body waits for the client's delayed ACK (~40 ms per response).
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            inner = self.app

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope[TRANSPORT_SCOPE_KEY] = transport
                await inner(scope, receive, send)

            self.app = app

    return CountingH11Protocol


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def _wait_until_ready(server: _Server, thread: threading.Thread, port: int) -> None:
    waited = 0.0
    while not server.ready.wait(0.05):
        waited += 0.05
        # uvicorn exits its thread instead of raising when startup fails.
        if not thread.is_alive() or waited > _START_TIMEOUT:
            raise RuntimeError(f"the dbt Cloud emulator did not start on 127.0.0.1:{port}")


@contextmanager
def serve_emulator(emulator: DbtCloudEmulator, *, port: int = 0) -> Iterator[EmulatorServer]:
    """Serve the emulator on 127.0.0.1 for the duration of a ``with`` block.

    Args:
        emulator: The emulator to serve.
        port: The port; 0 picks a free one.

    Yields:
        The server's URLs.

    Raises:
        RuntimeError: The server did not start.

    Examples:
        >>> with serve_emulator(DbtCloudEmulator()) as server:  # doctest: +SKIP
        ...     print(server.base_url)
        http://127.0.0.1:54321/api/v2
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    bound_port = listener.getsockname()[1]
    config = uvicorn.Config(
        emulator.app,
        http=_protocol_class(emulator),
        lifespan="off",
        access_log=False,
        log_level="warning",
        # A hung request must not hold the shutdown for long.
        timeout_graceful_shutdown=2,
    )
    server = _Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name=f"dbt-cloud-emulator-{bound_port}"
    )
    emulator.resume_waits()
    thread.start()
    try:
        _wait_until_ready(server, thread, bound_port)
        root = f"http://127.0.0.1:{bound_port}"
        yield EmulatorServer(f"{root}/api/v2", f"{root}/graphql", bound_port, emulator)
    finally:
        server.should_exit = True
        emulator.abort_waits()
        thread.join()
        listener.close()
