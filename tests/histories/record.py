"""`make histories`: run each workflow type through its main paths on a real dev server and store the
histories here, so the replay test catches non-deterministic changes to workflow code."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.commands import Assign, Close, Reclassify, Reopen, Reply, Resolve, Transfer
from domain.ticket import Tier
from infra.binaries import temporal_cli
from infra.embedded_postgres import start_embedded_postgres
from infra.settings import Settings
from store.db import create_engine
from store.migrate import upgrade
from tests.support.tickets import AGENT, customer, start_ticket
from workflows.search_attributes import ALL_KEYS
from workflows.ticket import TicketWorkflow

HERE = Path(__file__).parent


async def ticket_full_life(client: Client, engine: object, queue: str) -> WorkflowHandle:
    handle, new = await start_ticket(client, engine, queue)  # type: ignore[arg-type]
    requester = customer(new.requester_id)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(TicketWorkflow.assign, Assign(actor=AGENT, assignee_id=AGENT.user_id))
    await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Which version?", await_customer=True)
    )
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=requester, body="2.3", request_id="r1"))
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="note", internal=True))
    await handle.execute_update(TicketWorkflow.reclassify, Reclassify(actor=AGENT, severity=1, impact="all"))
    await handle.execute_update(TicketWorkflow.transfer, Transfer(actor=AGENT, tier=Tier.L2))
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT, comment="fixed"))
    await handle.execute_update(TicketWorkflow.reopen, Reopen(actor=requester, reason="again"))
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT))
    await handle.execute_update(TicketWorkflow.close, Close(actor=requester))
    await handle.result()
    return handle


SCENARIOS: dict[str, Callable[[Client, object, str], Awaitable[WorkflowHandle]]] = {
    "ticket_full_life": ticket_full_life,
}


async def record(only: set[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pg = start_embedded_postgres(Path(tmp) / "pg")
        upgrade(pg.url)
        engine = create_engine(pg.url)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), search_attributes=ALL_KEYS
        )
        from worker import build_worker

        settings = Settings(database_url=pg.url, temporal_task_queue=f"histories-{uuid.uuid4().hex[:6]}")
        try:
            async with build_worker(env.client, settings):
                for name, scenario in SCENARIOS.items():
                    if only and name not in only:
                        continue
                    handle = await scenario(env.client, engine, settings.temporal_task_queue)
                    history = await handle.fetch_history()
                    (HERE / f"{name}.json").write_text(history.to_json())
                    print(f"recorded {name}: {len(history.events)} events")
        finally:
            await env.shutdown()
            await engine.dispose()
            pg.stop()


if __name__ == "__main__":
    asyncio.run(record(set(sys.argv[1:]) or None))
    sys.stdout.flush()
    os._exit(0)
