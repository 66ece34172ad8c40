"""Withdrawing what a lost workflow task put in the outboxes: its unsent mail notifications and its
undelivered webhook rows.

A projection writes its events and the outbox rows they owe in one transaction (activities/
projection.py). When a workflow task projected and was then lost, its retry may number the events
differently; store/event_log.py overwrites the seqs the retry numbers anew and forgets those beyond
them. The outbox rows keyed to those seqs belong to events Temporal never recorded: unless they are
withdrawn in the same transaction, the mailer mails an event that never happened, or one reply twice
(under the lost seq and the retried one), and receivers hear of it too.

Only rows not yet done are withdrawn (a notification with none of sent_at, failed_at, skipped_at; a
webhook row not delivered): a mail that already went out cannot be recalled. The mailer closes the
window between the lost projection and its repair as far as it can, by sending a row only while its
event is still the one in the timeline (integrations/mail/outbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, and_, delete, func, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.mail_threading import TICKET_SOURCE
from domain.webhooks.events import event_id
from store.tables import notifications
from store.webhook_tables import webhook_outbox


async def withdraw_unsent(
    conn: AsyncConnection, ticket_id: int, source: str, rewritten: Sequence[int], beyond: int
) -> int:
    """Delete the unsent outbox rows of `source`'s events numbered `rewritten` or beyond `beyond`
    (the seqs a projection overwrote or forgot); the caller then writes the rows its events owe.
    Webhook rows follow only the ticket's own timeline. Returns the rows withdrawn."""
    n = notifications.c
    mails = await conn.execute(
        delete(notifications).where(
            n.ticket_id == ticket_id,
            n.source == source,
            or_(n.seq.in_(list(rewritten)), n.seq > beyond),
            n.sent_at.is_(None),
            n.failed_at.is_(None),
            n.skipped_at.is_(None),
        )
    )
    withdrawn = int(mails.rowcount or 0)
    if source != TICKET_SOURCE:
        return withdrawn
    o = webhook_outbox.c
    seq = func.split_part(o.event_id, "_", 3).cast(Integer)  # event ids are evt_<ticket>_<seq>
    hooks = await conn.execute(
        delete(webhook_outbox).where(
            and_(
                o.ticket_id == ticket_id,
                o.delivered_at.is_(None),
                or_(o.event_id.in_([event_id(ticket_id, s) for s in rewritten]), seq > beyond),
            )
        )
    )
    return withdrawn + int(hooks.rowcount or 0)
