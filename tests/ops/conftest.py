"""Fixtures for the ops tests: the compose file as data, and the `escalator` CLI run against the real
API (FastAPI app, Temporal dev server, worker, Postgres) in this process.

The CLI is synchronous and runs in a worker thread; its httpx requests are handed to the event loop
that owns the app, its database engine and its Temporal client (`LoopBridge`), so the commands go
through the same HTTP stack as in production, minus the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker
from typer.testing import CliRunner, Result

import cli.client
from api.app import create_app
from cli.main import app as cli_app
from infra.settings import Settings
from tests.ops.compose_file import load_compose
from tests.support.identities import Org, make_org, make_staff

RunCli = Callable[..., Awaitable[Result]]


class LoopBridge(httpx.BaseTransport):
    """A sync transport that performs each request on `loop` through an async client (ASGI)."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            forwarded = self._client.build_request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            return await self._client.send(forwarded)

        answer = asyncio.run_coroutine_threadsafe(send(), self._loop).result(timeout=60)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


class Unreachable(httpx.BaseTransport):
    """A transport that fails the way a stopped API does."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest_asyncio.fixture(scope="session")
async def api_http(
    settings: Settings, engine: AsyncEngine, client: Client, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine, temporal=client, jira=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://escalator.test") as c:
        yield c


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("customer", "org_admin"))


@pytest_asyncio.fixture(scope="session")
async def staff(engine: AsyncEngine) -> Org:
    return await make_staff(engine)


@pytest.fixture
def no_cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """Neither the developer's ESCALATOR_* variables nor their .data/demo-keys.json leak into a test."""
    monkeypatch.delenv("ESCALATOR_URL", raising=False)
    monkeypatch.delenv("ESCALATOR_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest_asyncio.fixture
async def run_cli(
    api_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, no_cli_environment: None
) -> RunCli:
    """`await run_cli("tickets", "show", "1", key=agent.key)`: the CLI's result, stdout and stderr apart."""
    bridge = LoopBridge(api_http, asyncio.get_running_loop())
    monkeypatch.setattr(cli.client, "client_factory", lambda conn: cli.client.build_http(conn, bridge))
    runner = CliRunner()

    async def run(*args: str, key: str | None = None) -> Result:
        argv = ["--url", "http://escalator.test", *(["--key", key] if key else []), *args]
        # Wide enough that rich never wraps an error message inside its box.
        return await asyncio.to_thread(runner.invoke, cli_app, argv, env={"COLUMNS": "2000"})

    return run
