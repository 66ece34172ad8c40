"""The worker that loses one workflow task after its projection committed (tests/support/lost_task.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from tests.support.lost_task import LostTask
from tests.support.lost_task import losing_worker as start_losing_worker


@pytest_asyncio.fixture
async def losing_worker(client: Client, engine: AsyncEngine) -> AsyncIterator[tuple[str, LostTask]]:
    async with start_losing_worker(client, engine) as running:
        yield running
