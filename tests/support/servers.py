"""Real HTTP servers for tests: any ASGI app under uvicorn on 127.0.0.1, in a background thread.

    with run_asgi_server(app) as base_url: ...
    async with run_asgi_server(app) as base_url: ...

The socket is bound before the server starts (port 0, so the OS picks a free port and no other
process can take it in between), the server runs its own event loop in a daemon thread so sync
tests, async tests and browsers can all talk to it, and on exit it is stopped and joined.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 10.0


class AsgiServer:
    """One uvicorn server; a context manager (sync or async) yielding its base URL."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", **config: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.host, self.port = self._socket.getsockname()[:2]
        options: dict[str, Any] = {
            "log_level": "warning",
            "lifespan": "on",
            "access_log": False,
            # Requests still in flight at exit (a "slow" simulator answer) must not hang teardown.
            "timeout_graceful_shutdown": 1,
        }
        options.update(config)
        self._server = uvicorn.Server(uvicorn.Config(app, **options))
        self._thread = threading.Thread(target=self._run, name=f"asgi-{self.port}", daemon=True)
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread can't raise to the test
            self._error = exc

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._socket.close()
                raise RuntimeError(f"ASGI server did not start: {self._error!r}")
            time.sleep(0.01)
        self._wait_accepting(deadline)
        return self.base_url

    def _wait_accepting(self, deadline: float) -> None:
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_SECONDS)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT_SECONDS)
        self._socket.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> str:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def run_asgi_server(app: Any, *, host: str = "127.0.0.1", **config: Any) -> AsgiServer:
    """A server for `app`; use it with `with` or `async with` to get its base URL."""
    return AsgiServer(app, host=host, **config)
