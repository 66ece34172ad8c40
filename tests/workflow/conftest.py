from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings


@pytest_asyncio.fixture(scope="session")
async def skipping_worker(time_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[str]:
    """One worker for the whole session on the time-skipping server; yields its task queue.

    Session-wide so that every workflow a test leaves running still has a worker: the test server
    cannot skip time while a workflow task is waiting for a worker that has gone away.
    """
    from entrypoints.worker import build_worker

    queue = f"timers-{uuid.uuid4().hex[:8]}"
    w = build_worker(time_env.client, settings.model_copy(update={"temporal_task_queue": queue}))
    async with w:
        yield queue
