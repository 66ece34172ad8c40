"""Turn a notification (one outbox row) into the e-mails it owes, in each reader's language.

One table, `RENDERERS`, says which renderer answers each (entity, kind) that can be queued; a test
compares it with what the workflows queue, so a kind nobody renders fails the build instead of
being marked sent. A renderer returns the mails, or none and why (`Composed`). A kind missing from
the table raises `NoRenderer`: the outbox marks the row failed, visibly, rather than sent.

Threading: every mail of a ticket replies to the ticket's first message (`ticket-<id>-1`), so mail
clients keep one conversation per ticket, the agents' notices included; subjects carry `[#<id>]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from integrations.mail import customer_mails as customer
from integrations.mail import staff_mails as staff
from integrations.mail.links import LinkMaker
from integrations.mail.occasion import ESCALATION, TICKET, Composed, Notification, Occasion, nothing
from integrations.mail.smtp import MailSettings
from integrations.mail.templates import KbSuggestion
from store.tables import tickets

Renderer = Callable[[Occasion], Awaitable[Composed]]


class NoRenderer(LookupError):
    """A queued kind no renderer answers: a bug to fix here (or a kind queued by mistake)."""


async def reply_added(o: Occasion) -> Composed:
    """An agent's public reply goes to the customers; a customer's reply to the assigned agent."""
    if o.note.data.get("author") == "customer":
        return await staff.customer_replied(o)
    return await customer.agent_reply(o)


async def status_changed(o: Occasion) -> Composed:
    """Resolved tells the customers (with the survey); resolved → open tells the agent (reopened)."""
    data = o.note.data
    if data.get("to") == "resolved":
        return await customer.resolved(o)
    if data.get("from") == "resolved" and data.get("to") == "open":
        return await staff.ticket_reopened(o)
    return nothing(f"a change from {data.get('from')} to {data.get('to')} is not mailed")


RENDERERS: dict[tuple[str, str], Renderer] = {
    (TICKET, "ticket_created"): customer.ticket_received,
    (TICKET, "reply_added"): reply_added,
    (TICKET, "status_changed"): status_changed,
    (TICKET, "pending_reminder"): customer.pending_reminder,
    (TICKET, "conference_reminder"): customer.conference_call,
    (TICKET, "conference_accepted"): customer.conference_call,
    (TICKET, "sla_warning"): staff.sla_alert,
    (TICKET, "sla_breached"): staff.sla_alert,
    (TICKET, "assigned"): staff.ticket_assigned,
    (ESCALATION, "stage_changed"): customer.escalation_stage,
    (ESCALATION, "verification_reminder"): customer.verification_reminder,
    (ESCALATION, "verification_answered"): staff.verification_answered,
    (ESCALATION, "eta_passed"): staff.eta_passed,
    (ESCALATION, "card_sync_failed"): staff.card_sync_failed,
}


async def compose(
    conn: AsyncConnection,
    settings: MailSettings,
    links: LinkMaker,
    note: Notification,
    suggestions: list[KbSuggestion] | None = None,
) -> Composed:
    """The mails one notification owes: one per reader, so each gets their language and links."""
    renderer = RENDERERS.get((note.entity, note.kind))
    if renderer is None:
        raise NoRenderer(f"no renderer for {note.entity} notification {note.kind!r}")
    row = (await conn.execute(select(tickets.c.snapshot).where(tickets.c.id == note.ticket_id))).first()
    if row is None:
        return nothing(f"ticket #{note.ticket_id} is not in the read model")
    occasion = Occasion(conn, settings, links, note, dict(row.snapshot), list(suggestions or []))
    return await renderer(occasion)
