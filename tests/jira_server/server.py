"""A real HTTP server for the fake site: uvicorn on 127.0.0.1, in a background thread or in the foreground.

Usage: `with JiraServer(webhook_url=url, webhook_secret="s") as jira:` starts it on a free port in a
daemon thread; point a client at `jira.base_url` with `jira.email`/`jira.api_token` or `jira.pat`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from tests.jira_server.admin_api import build_admin_app
from tests.jira_server.auth import BOT, DEFAULT_API_TOKEN, DEFAULT_PAT, Credentials
from tests.jira_server.contract import spec
from tests.jira_server.pipeline import JiraPipeline
from tests.jira_server.rest_api import build_rest_app
from tests.jira_server.site import JiraSite

LOOPBACK = "127.0.0.1"


class JiraServer(JiraSite):
    """The site plus its listener. `port=0` picks a free port; `base_url` is known after `start()`."""

    email = BOT.email
    api_token = DEFAULT_API_TOKEN
    pat = DEFAULT_PAT

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = LOOPBACK,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(webhook_url=webhook_url, webhook_secret=webhook_secret, credentials=credentials)
        spec()  # fail fast if the OpenAPI subset is missing, and keep the first request quick
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        self.base_url = f"http://{host}:{self.port}"
        app = JiraPipeline(self, build_rest_app(self), build_admin_app(self))
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=2
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _event_loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def start(self, timeout: float = 10.0) -> JiraServer:
        """Serve from a daemon thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.serve_forever, name="jira-imitation", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("Jira imitation did not start")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Run in the calling thread until `stop()` (or Ctrl-C when this is the main thread)."""
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.webhooks.start()
        try:
            await self._uvicorn.serve(sockets=[self._socket])
        finally:
            await self.webhooks.aclose()
            self._loop = None

    def stop(self, timeout: float = 10.0) -> None:
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> JiraServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on such sockets (else +40 ms per response)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
