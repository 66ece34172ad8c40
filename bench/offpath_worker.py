"""Bench-only worker: `entrypoints/worker.py`'s worker with the off-path ticket workflow.

    TEMPORAL_TASK_QUEUE=escalator-offpath python bench/offpath_worker.py

Started by `bench/tickets.py --offpath` beside the stack's own worker, with the stack's environment
and its own task queue (an API process pointed at the same queue creates tickets there). Everything
else is what the real worker registers: the same activities, sandbox, slots and cache.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

# Run as a script: import from the repository root, never let bench/ shadow the standard library.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from temporalio.worker import Worker  # noqa: E402

from bench.offpath_workflow import OffPathTicketWorkflow  # noqa: E402
from entrypoints.registry import WORKFLOWS, activities_for, sandbox_runner  # noqa: E402
from entrypoints.worker import worker_tuning, write_bytecode  # noqa: E402
from infra.log import configure_logging  # noqa: E402
from infra.settings import get_settings  # noqa: E402
from infra.temporal_client import connect  # noqa: E402
from store.db import create_engine  # noqa: E402
from workflows.ticket import TicketWorkflow  # noqa: E402


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    write_bytecode()
    client = await connect(settings)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    workflows = [OffPathTicketWorkflow if w is TicketWorkflow else w for w in WORKFLOWS]
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=workflows,
        activities=activities_for(engine),
        workflow_runner=sandbox_runner(),
        **worker_tuning(settings),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"off-path worker on task queue {settings.temporal_task_queue}", flush=True)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
