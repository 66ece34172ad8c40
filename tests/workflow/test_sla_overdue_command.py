"""A command that reaches the workflow together with the timer of an SLA deadline it is late for.

Found by `make faults`: with the worker down past a deadline, the timer and the agent's reply arrive
in one workflow task; the reply ran first, stopped the clock, and the warning or breach vanished.
Here the worker is stopped on purpose across a warning instant so both land in one task.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from domain.calendar import CalendarSpec, WeeklyInterval
from domain.sla import FIRST_RESPONSE, PolicyRule, SlaPolicy
from domain.ticket.commands import Reply
from infra.settings import Settings
from tests.support.tickets import AGENT, start_ticket
from tests.workflow.test_ticket_workflow import read_events
from workflows.ticket import TicketWorkflow

ALWAYS_OPEN = CalendarSpec("UTC", tuple(WeeklyInterval(day, "00:00", "24:00") for day in range(7)))
WARNING_RATIO = 0.05  # of a one-minute first response target: the warning is due after 3 s


def fast_policy() -> SlaPolicy:
    rules = tuple(PolicyRule(severity, 1, 10) for severity in (1, 2, 3, 4))
    return SlaPolicy("overdue-test", 1, "always-open", ALWAYS_OPEN, rules, warning_ratio=WARNING_RATIO)


async def test_a_reply_in_the_same_task_as_an_overdue_warning_keeps_the_warning(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    from entrypoints.worker import build_worker

    queue_settings = settings.model_copy(update={"temporal_task_queue": f"overdue-{uuid.uuid4().hex[:8]}"})
    async with build_worker(client, queue_settings):
        handle, new = await start_ticket(
            client,
            engine,
            queue_settings.temporal_task_queue,
            publish_search_attributes=False,
            sla_policy=fast_policy(),
        )
        opened = await handle.execute_update(TicketWorkflow.opened)
    assert opened.sla is not None
    clock = opened.sla.clock(FIRST_RESPONSE)
    warning_due = clock.at_used(opened.sla.calendar, clock.target_seconds * WARNING_RATIO)
    assert warning_due is not None
    await asyncio.sleep(max(0.0, (warning_due - datetime.now(warning_due.tzinfo)).total_seconds()) + 1)

    reply = asyncio.create_task(handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="On it")))
    await asyncio.sleep(0.5)  # the update waits for a worker, next to the timer that has fired
    async with build_worker(client, queue_settings):
        state = await asyncio.wait_for(reply, timeout=60)
        await handle.terminate("test over")

    assert state.sla is not None and state.sla.clock(FIRST_RESPONSE).warned
    types = [e["type"] for e in await read_events(engine, new.id)]
    assert "sla_warning" in types, types
    assert types.index("sla_warning") < types.index("reply_added"), types
    warning = next(e for e in await read_events(engine, new.id) if e["type"] == "sla_warning")
    assert abs(datetime.fromisoformat(warning["data"]["due"]) - warning_due) < timedelta(seconds=1)


async def test_a_policy_change_in_the_same_task_as_an_overdue_warning_keeps_the_warning(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    """The new version's longer target would move the warning into the future: it is recorded first."""
    from dataclasses import replace

    from entrypoints.worker import build_worker

    queue_settings = settings.model_copy(update={"temporal_task_queue": f"overdue-{uuid.uuid4().hex[:8]}"})
    async with build_worker(client, queue_settings):
        handle, new = await start_ticket(
            client,
            engine,
            queue_settings.temporal_task_queue,
            publish_search_attributes=False,
            sla_policy=fast_policy(),
        )
        opened = await handle.execute_update(TicketWorkflow.opened)
    assert opened.sla is not None
    clock = opened.sla.clock(FIRST_RESPONSE)
    warning_due = clock.at_used(opened.sla.calendar, clock.target_seconds * WARNING_RATIO)
    assert warning_due is not None
    await asyncio.sleep(max(0.0, (warning_due - datetime.now(warning_due.tzinfo)).total_seconds()) + 1)

    slower = tuple(PolicyRule(severity, 600, 6000) for severity in (1, 2, 3, 4))
    await handle.signal(TicketWorkflow.policy_changed, replace(fast_policy(), version=2, rules=slower))
    async with build_worker(client, queue_settings):
        for _ in range(100):
            types = [e["type"] for e in await read_events(engine, new.id)]
            if "sla_policy_changed" in types:
                break
            await asyncio.sleep(0.1)
        await handle.terminate("test over")

    assert "sla_warning" in types, types
    assert types.index("sla_warning") < types.index("sla_policy_changed"), types
