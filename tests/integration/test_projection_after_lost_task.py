"""The ticket projection after a workflow task that wrote to Postgres but never completed.

Found by `make faults` (worker SIGKILL): the lost task's events stayed in the read model under seqs
that the retried task then numbered differently, so the timeline showed things that never happened.

The first test loses a workflow task for real on the dev server: a worker whose projection (the
local activity) has committed fails its workflow task before completing it, as a worker killed at
that instant would, while a signal arrives. Temporal retries the task from the last completed one;
the retried task takes the signal first and numbers every event again. The other tests call the
projection activity directly: its own rules for retries, NUL and notifications.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.projection import ProjectionActivities
from domain.actors import Actor, Role
from domain.events import Change, Event, number
from domain.ticket.commands import Reply
from domain.ticket.read_model_rows import projection_rows
from domain.ticket.state import EscalationView, NewTicket, TicketState, TicketStatus
from domain.ticket.transitions import decide, evolve
from store.tables import notifications, ticket_events, tickets
from tests.support.lost_task import LostTask, lose_update_task
from tests.support.tickets import AGENT, next_ticket_id, start_ticket
from tests.workflow.test_ticket_workflow import read_events, read_row
from workflows.ticket import TicketWorkflow

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_a_retried_workflow_task_replaces_what_the_lost_one_projected(
    client: Client, engine: AsyncEngine, losing_worker: tuple[str, LostTask]
) -> None:
    queue, plan = losing_worker
    handle, new = await start_ticket(client, engine, queue)
    await handle.execute_update(TicketWorkflow.opened)

    reply = Reply(actor=AGENT, body="Please send the logs", await_customer=True)

    async def meanwhile() -> None:
        lost = [(e["seq"], e["type"]) for e in await read_events(engine, new.id)]
        assert lost == [(1, "ticket_created"), (2, "reply_added"), (3, "status_changed")]
        # While the task is in flight, news from an escalation arrives; then the task is lost.
        await handle.signal(TicketWorkflow.escalation_changed, EscalationView(id="ESC-1", stage="requested"))

    state = await lose_update_task(handle, plan, TicketWorkflow.reply, reply, "reply-1", meanwhile)

    # Temporal retried the task: the signal came first and every event was numbered again.
    history = [e.event_type for e in (await handle.fetch_history()).events]
    assert history.count(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) == 1
    assert (state.version, state.status) == (4, TicketStatus.PENDING)
    events = await read_events(engine, new.id)
    assert [(e["seq"], e["type"]) for e in events] == [
        (1, "ticket_created"),
        (2, "escalation_updated"),
        (3, "reply_added"),
        (4, "status_changed"),
    ]
    assert events[1]["data"]["id"] == "ESC-1" and events[2]["data"]["body"] == "Please send the logs"
    # Recorded when Temporal says, not when the lost task ran.
    assert {e["at"] for e in events[1:]} == {state.updated_at}
    row = await read_row(engine, new.id)
    assert (row["version"], row["status"], row["updated_at"]) == (4, "pending", state.updated_at)


def apply(state: TicketState, changes: list[Change], actor: Actor, at: datetime) -> list[Event]:
    events = number(changes, state, at, actor)
    for event in events:
        evolve(state, event)
    return events


async def opened_ticket(engine: AsyncEngine) -> tuple[TicketState, list[Event]]:
    new = NewTicket(
        id=await next_ticket_id(engine), org_id="o", requester_id="c", subject="s", description="d"
    )
    state = TicketState.opened(new, START)
    requester = Actor(user_id="c", role=Role.CUSTOMER)
    created = apply(state, [Change("ticket_created", {"subject": "s", "description": "d"})], requester, START)
    return state, created


async def test_a_retry_of_the_same_projection_changes_nothing(engine: AsyncEngine) -> None:
    project = ProjectionActivities(engine).project_ticket
    state, created = await opened_ticket(engine)
    await project(projection_rows(copy.deepcopy(state), created))
    events = apply(
        state, decide(state, Reply(actor=AGENT, body="Hello")), AGENT, START + timedelta(minutes=1)
    )
    projection = projection_rows(copy.deepcopy(state), events)
    await project(projection)
    before = await read_events(engine, state.id)
    await project(projection)
    assert await read_events(engine, state.id) == before


async def test_a_projection_drops_events_numbered_beyond_its_version(engine: AsyncEngine) -> None:
    """The activity's rule for a retried task that numbers fewer events than the lost one did: the
    lost task replied; the retried one only had the first projection to redo."""
    project = ProjectionActivities(engine).project_ticket
    state, created = await opened_ticket(engine)
    lost = copy.deepcopy(state)
    lost_events = apply(
        lost, decide(lost, Reply(actor=AGENT, body="Hi")), AGENT, START + timedelta(minutes=1)
    )
    await project(projection_rows(copy.deepcopy(lost), [*created, *lost_events]))
    await project(projection_rows(copy.deepcopy(state), created))
    async with engine.connect() as conn:
        version = (await conn.execute(select(tickets.c.version).where(tickets.c.id == state.id))).scalar_one()
        seqs = (
            await conn.execute(select(ticket_events.c.seq).where(ticket_events.c.ticket_id == state.id))
        ).scalars()
        assert version == state.version == 1
        assert sorted(seqs) == [1]


async def test_text_postgres_cannot_store_is_projected_not_retried_forever(engine: AsyncEngine) -> None:
    """A NUL can still reach a workflow (a JIRA comment, an old history); the projection must not fail."""
    project = ProjectionActivities(engine).project_ticket
    state, created = await opened_ticket(engine)
    reply = Reply(actor=AGENT, body="line one\x00line two")
    events = apply(state, decide(state, reply), AGENT, START + timedelta(minutes=1))
    await project(projection_rows(copy.deepcopy(state), [*created, *events]))
    stored = await read_events(engine, state.id)
    assert stored[-1]["data"]["body"] == "line one\ufffdline two"


async def test_notifications_owed_are_recorded_with_the_events_they_belong_to(engine: AsyncEngine) -> None:
    project = ProjectionActivities(engine).project_ticket
    state, created = await opened_ticket(engine)
    note = Reply(actor=AGENT, body="internal only", internal=True)
    events = apply(state, decide(state, note), AGENT, START + timedelta(minutes=1))
    events += apply(
        state, decide(state, Reply(actor=AGENT, body="Fixed")), AGENT, START + timedelta(minutes=2)
    )
    rows = projection_rows(copy.deepcopy(state), [*created, *events], notify=True)
    await project(rows)
    await project(rows)  # a retried attempt owes nothing more
    async with engine.connect() as conn:
        owed = (
            await conn.execute(
                select(notifications.c.seq, notifications.c.kind, notifications.c.data)
                .where(notifications.c.ticket_id == state.id)
                .order_by(notifications.c.seq)
            )
        ).all()
    assert [(seq, kind) for seq, kind, _ in owed] == [(1, "ticket_created"), (3, "reply_added")]
    assert owed[1].data["body"] == "Fixed" and owed[1].data["actor_id"] == AGENT.user_id
