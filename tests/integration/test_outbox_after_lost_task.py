"""The outboxes (mail notifications, webhook deliveries) after a workflow task that projected but
never completed: only what the retried task recorded may go out, and each of it once.

The lost task (tests/support/lost_task.py) projects a reply as events 2 and 3 and owes a mail for
event 2 and a webhook for event 3; a signal arrives, the task is lost, and the retried task records
the signal's event first, the reply as 3 and the status change as 4. Before the fix the lost task's
outbox rows stayed: the reply was mailed twice (as 2 and as 3) and receivers heard of a status
change numbered 3 that Temporal never recorded.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from activities.escalation_projection import EscalationProjectionActivities
from activities.projection import ProjectionActivities
from domain.escalation.read_model_rows import escalation_rows
from domain.escalation.state import EscalationState, NewEscalation, Target
from domain.events import Event
from domain.projection_rows import ProjectionRows
from domain.ticket.commands import Reply
from domain.ticket.read_model_rows import projection_rows
from domain.ticket.state import EscalationView
from domain.ticket.transitions import decide
from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store import webhooks
from store.tables import notifications
from store.webhook_tables import webhook_outbox
from tests.integration.test_projection_after_lost_task import START, apply, opened_ticket
from tests.support.identities import make_org
from tests.support.lost_task import LostTask, lose_update_task
from tests.support.ports import free_port
from tests.support.tickets import AGENT, next_ticket_id, start_ticket
from tests.workflow.test_ticket_workflow import read_events
from workflows.ticket import TicketWorkflow

BODY = "Please send the logs"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path / "mail", port=free_port()) as running:
        yield running


async def outbox_rows(engine: AsyncEngine, ticket_id: int) -> list[dict[str, Any]]:
    n = notifications.c
    async with engine.connect() as conn:
        found = await conn.execute(
            select(n.seq, n.kind, n.data, n.sent_at, n.skipped_at, n.skip_reason)
            .where(n.ticket_id == ticket_id)
            .order_by(n.seq, n.kind)
        )
        return [dict(r) for r in found.mappings()]


async def webhook_rows(engine: AsyncEngine, ticket_id: int) -> list[tuple[str, str, Any]]:
    o = webhook_outbox.c
    async with engine.connect() as conn:
        found = await conn.execute(
            select(o.event_id, o.event_type, o.payload["data"]).where(o.ticket_id == ticket_id)
        )
        return sorted((r[0], r[1], r[2]) for r in found)


async def test_only_the_retried_task_s_notifications_and_deliveries_go_out_once_each(
    client: Client,
    engine: AsyncEngine,
    losing_worker: tuple[str, LostTask],
    sink: MailSink,
    settings: Settings,
) -> None:
    queue, plan = losing_worker
    org = await make_org(engine)
    async with engine.begin() as conn:
        endpoint = await webhooks.create_endpoint(
            conn, "https://receiver.example.test/hook", ["ticket.status_changed", "escalation.stage_changed"],
            "lost-task test", AGENT.user_id,
        )  # fmt: skip
    try:
        handle, new = await start_ticket(
            client, engine, queue, org_id=org.id, requester_id=org["customer"].id
        )
        await handle.execute_update(TicketWorkflow.opened)
        reply = Reply(actor=AGENT, body=BODY, await_customer=True)

        async def meanwhile() -> None:
            lost = await outbox_rows(engine, new.id)
            assert [(r["seq"], r["kind"]) for r in lost] == [(1, "ticket_created"), (2, "reply_added")]
            assert [r[:2] for r in await webhook_rows(engine, new.id)] == [
                (f"evt_{new.id}_3", "ticket.status_changed")
            ]
            view = EscalationView(id="ESC-1", stage="requested")
            await handle.signal(TicketWorkflow.escalation_changed, view)

        state = await lose_update_task(handle, plan, TicketWorkflow.reply, reply, "reply-1", meanwhile)
        assert state.version == 4
        recorded = [(e["seq"], e["type"]) for e in await read_events(engine, new.id)]
        assert recorded == [
            (1, "ticket_created"),
            (2, "escalation_updated"),
            (3, "reply_added"),
            (4, "status_changed"),
        ]

        # Exactly the rows the recorded events owe: nothing left under the lost task's numbering.
        owed = await outbox_rows(engine, new.id)
        assert [(r["seq"], r["kind"]) for r in owed] == [(1, "ticket_created"), (3, "reply_added")]
        assert owed[1]["data"]["body"] == BODY
        assert await webhook_rows(engine, new.id) == [
            (f"evt_{new.id}_2", "escalation.stage_changed", {"escalation_id": "ESC-1", "from": None, "to": "requested"}),
            (f"evt_{new.id}_4", "ticket.status_changed", {"from": "open", "to": "pending", "reason": "waiting for the customer"}),
        ]  # fmt: skip

        # The real mailer to the real SMTP sink: the acknowledgement and the reply, once each.
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=sink.port)
        outbox = MailOutbox(engine, mail, "http://127.0.0.1:8000", link_key(settings))
        await outbox.deliver_all_due()
        mails = [m for m in sink.messages if f"[#{new.id}]" in str(m["Subject"])]
        assert len(mails) == 2, [m["Subject"] for m in mails]
        assert [BODY in m.get_content() for m in mails] == [False, True]
        assert mails[1]["Message-ID"].startswith(f"<ticket-{new.id}-3")
        assert all(r["sent_at"] is not None for r in await outbox_rows(engine, new.id))
    finally:
        async with engine.begin() as conn:
            await webhooks.delete_endpoint(conn, endpoint["id"])


# --- The projection activities' own rule, without a workflow -----------------------------------


async def owed_keys(engine: AsyncEngine, ticket_id: int, source: str) -> list[tuple[int, str, bool]]:
    n = notifications.c
    async with engine.connect() as conn:
        found = await conn.execute(
            select(n.seq, n.kind, n.sent_at.is_not(None))
            .where(n.ticket_id == ticket_id, n.source == source)
            .order_by(n.seq, n.kind)
        )
        return [(r[0], r[1], r[2]) for r in found]


async def test_a_projection_that_forgets_a_lost_task_s_events_withdraws_their_unsent_rows(
    engine: AsyncEngine,
) -> None:
    project = ProjectionActivities(engine).project_ticket
    state, created = await opened_ticket(engine)
    await project(projection_rows(copy.deepcopy(state), created, notify=True))
    async with engine.begin() as conn:
        n = notifications.c
        await conn.execute(
            update(notifications).where(n.ticket_id == state.id).values(sent_at=datetime.now(UTC))
        )
    lost = copy.deepcopy(state)
    lost_events = apply(
        lost, decide(lost, Reply(actor=AGENT, body="Hi")), AGENT, START + timedelta(minutes=1)
    )
    await project(projection_rows(copy.deepcopy(lost), lost_events, notify=True))
    assert await owed_keys(engine, state.id, "ticket") == [
        (1, "ticket_created", True),
        (2, "reply_added", False),
    ]

    await project(projection_rows(copy.deepcopy(state), [], notify=True))  # the retry: nothing since 1
    assert await owed_keys(engine, state.id, "ticket") == [(1, "ticket_created", True)]


async def test_an_escalation_projection_replaces_a_lost_task_s_unsent_rows(engine: AsyncEngine) -> None:
    project = EscalationProjectionActivities(engine).project_escalation
    now = datetime.now(UTC)
    ticket_id = await next_ticket_id(engine)
    escalation_id = f"CP-L{uuid.uuid4().hex[:8]}"
    new = NewEscalation(escalation_id, ticket_id, "org", "requester", Target.ENGINEERING, "slow", "", "agent")
    created = Event(1, "escalation_created", now, "agent", "agent")
    moved = {"from": "submitted", "to": "engineering"}

    def rows(events: list[Event]) -> ProjectionRows:
        state = EscalationState.opened(new, now)
        state.version = events[-1].seq
        return escalation_rows(state, events, notify=True)

    await project(rows([created, Event(2, "stage_changed", now, "e", "engineer", moved)]))
    assert await owed_keys(engine, ticket_id, escalation_id) == [(2, "stage_changed", False)]
    # The retried task recorded an estimate first: the stage change is 3.
    later = now + timedelta(seconds=1)
    retried = [
        created,
        Event(2, "eta_set", later, "e", "engineer", {"eta": "2026-12-24"}),
        Event(3, "stage_changed", later, "e", "engineer", moved),
    ]
    await project(rows(retried))
    assert await owed_keys(engine, ticket_id, escalation_id) == [(3, "stage_changed", False)]
