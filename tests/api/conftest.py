from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from infra.settings import Settings
from tests.support.identities import Org, make_org, make_staff


@pytest_asyncio.fixture(scope="session")
async def http(
    settings: Settings, engine: AsyncEngine, client: Client, worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine, temporal=client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


@pytest_asyncio.fixture
async def org(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("customer", "customer2", "org_admin"))


@pytest_asyncio.fixture
async def other_org(engine: AsyncEngine) -> Org:
    return await make_org(engine)


@pytest_asyncio.fixture(scope="session")
async def staff(engine: AsyncEngine) -> Org:
    return await make_staff(engine)
