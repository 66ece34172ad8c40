"""The 10-day and 4-day lifecycle timers on the time-skipping server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.ticket.commands import Reply
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, customer, start_ticket
from workflows.ticket import TicketWorkflow


async def test_pending_auto_resolves_after_10_days_then_closes_after_4(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    handle, _ = await start_ticket(time_env.client, engine, skipping_worker, publish_search_attributes=False)
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Please confirm", await_customer=True)
    )
    await time_env.sleep(timedelta(days=6, hours=23))
    assert not (await handle.query(TicketWorkflow.state)).pending_reminded
    await time_env.sleep(timedelta(hours=2))
    assert (await handle.query(TicketWorkflow.state)).pending_reminded, "reminded 3 days before auto-resolve"
    await time_env.sleep(timedelta(days=2, hours=22))
    assert (await handle.query(TicketWorkflow.state)).status is TicketStatus.PENDING
    await time_env.sleep(timedelta(hours=2))
    state = await handle.query(TicketWorkflow.state)
    assert state.status is TicketStatus.RESOLVED
    await time_env.sleep(timedelta(days=4, minutes=1))
    result = await handle.result()
    assert result.status is TicketStatus.CLOSED
    assert result.close_reason == "closed automatically after resolution"


async def test_customer_reply_restarts_the_pending_clock(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    handle, new = await start_ticket(
        time_env.client, engine, skipping_worker, publish_search_attributes=False
    )
    await handle.execute_update(TicketWorkflow.opened)
    await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Send logs", await_customer=True)
    )
    await time_env.sleep(timedelta(days=6))
    await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=customer(new.requester_id), body="attached")
    )
    await handle.execute_update(TicketWorkflow.reply, Reply(actor=AGENT, body="Thanks", await_customer=True))
    await time_env.sleep(timedelta(days=6))
    assert (await handle.query(TicketWorkflow.state)).status is TicketStatus.PENDING
    await time_env.sleep(timedelta(days=4, minutes=1))
    assert (await handle.query(TicketWorkflow.state)).status is TicketStatus.RESOLVED


async def test_conference_reminder_fires_before_the_call(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    from domain.ticket.state import Channel, Conference

    now = await time_env.get_current_time()
    call = Conference(scheduled_at=now + timedelta(hours=3), minutes=30, link="https://meet.example/x")
    handle, _ = await start_ticket(
        time_env.client, engine, skipping_worker, publish_search_attributes=False,
        channel=Channel.CONFERENCE, conference=call,
    )  # fmt: skip
    await handle.execute_update(TicketWorkflow.opened)
    await time_env.sleep(timedelta(hours=1, minutes=58))
    assert not (await handle.query(TicketWorkflow.state)).conference.reminded
    await time_env.sleep(timedelta(minutes=3))
    assert (await handle.query(TicketWorkflow.state)).conference.reminded
    await handle.terminate("test over")
