"""Shared test environments: real PostgreSQL, the Temporal dev server and the time-skipping server.

Mirrors temporalio/sdk-python's tests/conftest.py: one session-wide environment of each kind,
binaries from the project's own packages (nothing downloaded), search attributes registered.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.binaries import temporal_cli, temporal_test_server
from infra.embedded_postgres import start_embedded_postgres
from infra.settings import Settings
from store.db import create_engine
from store.migrate import upgrade
from workflows.search_attributes import ALL_KEYS

# Every test client is on loopback and a few session-wide keys stand for many users: lift the address
# and read limits (api/rate_limit.py) as the fault stacks do; tests/reliability/test_rate_limit.py
# sets its own limits explicitly.
os.environ.setdefault("ADDRESS_RATE_LIMIT_PER_MINUTE", "1000000")
os.environ.setdefault("READ_RATE_LIMIT_PER_MINUTE", "1000000")
# Every test worker imports workflows/ afresh per run, so the sandbox checks them (entrypoints/registry.py).
os.environ.setdefault("WORKER_CHECKED_SANDBOX", "1")

# A low threshold so that continue-as-new happens in ordinary tests, not only in a special one.
CAN_SUGGEST_EVENTS = int(os.environ.get("TEST_CAN_SUGGEST_EVENTS", "120"))


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        upgrade(external)
        yield external
        return
    root = Path(tmp_path_factory.mktemp("pg"))
    pg = start_embedded_postgres(root / "data")
    upgrade(pg.url)
    yield pg.url
    pg.stop()


@pytest_asyncio.fixture(scope="session")
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(pg_url)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={CAN_SUGGEST_EVENTS}",
        ],
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def settings(pg_url: str) -> Settings:
    return Settings(
        database_url=pg_url,
        temporal_task_queue=f"escalator-test-{uuid.uuid4().hex[:8]}",
        log_format="console",
        link_signing_key=SecretStr(secrets.token_urlsafe(32)),  # made per run, never stored
    )


@pytest_asyncio.fixture(scope="session")
async def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest_asyncio.fixture(scope="session")
async def worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    from entrypoints.worker import build_worker

    w = build_worker(client, settings)
    async with w:
        yield w
