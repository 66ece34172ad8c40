"""Ticket rules on the time-skipping server with activity doubles: the lifecycle clocks and what
they record, notify and project, and retried commands applied once."""

from __future__ import annotations

from datetime import timedelta

from domain.ticket.commands import Reply, Resolve
from domain.ticket.state import TicketStatus
from tests.support.tickets import AGENT, customer
from tests.workflow.test_sla_clocks import close_to, skip_until
from tests.workflow_doubles.conftest import DoublesWorld
from workflows.ticket import TicketWorkflow


async def test_pending_ticket_is_reminded_then_resolved_after_ten_days_then_closed(
    world: DoublesWorld,
) -> None:
    handle, new = await world.start_ticket()
    await handle.execute_update(TicketWorkflow.opened)
    state = await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Which version?", await_customer=True)
    )
    assert state.status is TicketStatus.PENDING and state.pending_since is not None
    since = state.pending_since

    await skip_until(world.env, since + timedelta(days=7) - timedelta(minutes=1))
    assert not (await handle.query(TicketWorkflow.state)).pending_reminded
    await skip_until(world.env, since + timedelta(days=7, minutes=1))
    assert (await handle.query(TicketWorkflow.state)).pending_reminded

    await skip_until(world.env, since + timedelta(days=10) - timedelta(minutes=1))
    assert (await handle.query(TicketWorkflow.state)).status is TicketStatus.PENDING
    await skip_until(world.env, since + timedelta(days=10, minutes=1))
    resolved = await handle.query(TicketWorkflow.state)
    assert resolved.status is TicketStatus.RESOLVED
    assert resolved.resolved_at is not None and close_to(resolved.resolved_at, since + timedelta(days=10))

    final = await handle.result()  # the auto-close clock: time skips while we wait
    assert final.status is TicketStatus.CLOSED
    assert final.closed_at is not None and close_to(final.closed_at, since + timedelta(days=14))
    types = [t for _, t in world.doubles.timeline("ticket", new.id)]
    assert types == [
        "ticket_created",
        "reply_added",
        "status_changed",
        "pending_reminder",
        "status_changed",
        "status_changed",
    ]
    assert world.doubles.rows[("ticket", new.id)]["status"] == "closed"
    # Owed in the projection's transaction: the new ticket, the public reply, the reminder, the
    # resolution; not the move to pending nor the close.
    assert world.doubles.owed(new.id) == [
        "ticket_created",
        "reply_added",
        "pending_reminder",
        "status_changed",
    ]


async def test_a_retried_command_is_applied_once(world: DoublesWorld) -> None:
    handle, new = await world.start_ticket()
    await handle.execute_update(TicketWorkflow.opened)
    reply = Reply(actor=customer(new.requester_id), body="Still failing", request_id="req-1")
    first = await handle.execute_update(TicketWorkflow.reply, reply)
    again = await handle.execute_update(TicketWorkflow.reply, reply)
    assert again.version == first.version
    assert [t for _, t in world.doubles.timeline("ticket", new.id)] == ["ticket_created", "reply_added"]
    # A retry after the ticket moved on answers with the version its first run reached, not a refusal.
    await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT, request_id="req-2"))
    late = await handle.execute_update(TicketWorkflow.resolve, Resolve(actor=AGENT, request_id="req-2"))
    assert late.status is TicketStatus.RESOLVED
    assert [t for _, t in world.doubles.timeline("ticket", new.id)][-1] == "status_changed"
    assert len(world.doubles.timeline("ticket", new.id)) == 3
    await handle.terminate("test over")
