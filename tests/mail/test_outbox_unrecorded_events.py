"""The mailer sends a row only while its event is the one in the timeline (MailOutbox._deliver).

A workflow task that projected and was then lost leaves outbox rows for events Temporal never
recorded; the retried task's projection withdraws them (store/outbox_repair.py), but the mailer may
already hold such a row, or meet one whose event was rewritten: it must skip it, with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, update

from store.tables import escalation_events, notifications, ticket_events
from tests.mail.outbox_bed import Bed

NOT_RECORDED = "a lost workflow task's"


def reply(bed: Bed, body: str) -> dict[str, Any]:
    return {"author": "agent", "internal": False, "body": body, "attachments": [], "actor_id": bed.agent.id}


async def rewrite_event(bed: Bed, seq: int, type: str, data: dict[str, Any], source: str = "ticket") -> None:
    """What a retried task's projection does to the event at `seq` (its outbox rows aside)."""
    table = ticket_events if source == "ticket" else escalation_events
    owner = table.c.ticket_id == bed.ticket_id if source == "ticket" else table.c.escalation_id == source
    async with bed.engine.begin() as conn:
        await conn.execute(
            update(table).where(owner, table.c.seq == seq).values(type=type, data=data, at=datetime.now(UTC))
        )


async def test_rows_whose_event_was_rewritten_or_dropped_are_skipped_not_sent(bed: Bed) -> None:
    await bed.queue("reply_added", 2, reply(bed, "lost as 2"))
    await bed.queue("reply_added", 3, reply(bed, "lost as 3"))
    await bed.queue("reply_added", 4, reply(bed, "lost as 4"))
    await bed.queue("reply_added", 5, reply(bed, "recorded"))
    # Another kind at 2, the same kind with other words at 3, nothing at 4 any more.
    await rewrite_event(bed, 2, "escalation_updated", {"id": "ESC-1", "stage": "requested"})
    await rewrite_event(
        bed, 3, "reply_added", {k: v for k, v in reply(bed, "other").items() if k != "actor_id"}
    )
    async with bed.engine.begin() as conn:
        await conn.execute(
            delete(ticket_events).where(ticket_events.c.ticket_id == bed.ticket_id, ticket_events.c.seq == 4)
        )

    mails = await bed.deliver()
    assert mails and all("recorded" in m.get_content() for m in mails)
    assert not any("lost as" in m.get_content() for m in mails)
    for seq in (2, 3, 4):
        row = await bed.row("reply_added", seq)
        assert (row["sent_at"], row["failed_at"]) == (None, None)
        assert row["skipped_at"] is not None and NOT_RECORDED in row["skip_reason"], row
    assert (await bed.row("reply_added", 5))["sent_at"] is not None


async def test_an_escalation_s_row_follows_the_escalation_s_timeline(bed: Bed) -> None:
    cp = await bed.escalate("engineering", None)
    await bed.queue("stage_changed", 2, {"from": "in_review", "to": "engineering"}, source=cp)
    await bed.queue("stage_changed", 3, {"from": "engineering", "to": "verifying"}, source=cp)
    await rewrite_event(bed, 3, "eta_set", {"eta": "2026-12-24"}, source=cp)
    await bed.deliver()
    assert (await bed.row("stage_changed", 2, source=cp))["sent_at"] is not None
    lost = await bed.row("stage_changed", 3, source=cp)
    assert lost["sent_at"] is None and NOT_RECORDED in lost["skip_reason"]


async def test_a_row_in_the_mailer_s_hands_is_checked_again_when_it_is_sent(bed: Bed) -> None:
    """The mailer polls, then sends row by row: a projection may repair the timeline in between."""
    await bed.queue("reply_added", 2, reply(bed, "withdrawn meanwhile"))
    await bed.queue("reply_added", 3, reply(bed, "rewritten meanwhile"))
    outbox = bed.outbox
    due = [dict(r) for r in await outbox._due(1000) if r["ticket_id"] == bed.ticket_id]
    assert [r["seq"] for r in due] == [2, 3]
    async with bed.engine.begin() as conn:
        n = notifications.c
        await conn.execute(delete(notifications).where(n.ticket_id == bed.ticket_id, n.seq == 2))
    await rewrite_event(bed, 3, "status_changed", {"from": "open", "to": "pending"})

    assert [await outbox._deliver(row) for row in due] == [0, 0]
    assert [m for m in bed.sink.messages if f"[#{bed.ticket_id}]" in str(m["Subject"])] == []
    assert NOT_RECORDED in (await bed.row("reply_added", 3))["skip_reason"]
