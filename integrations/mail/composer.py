"""Turn a notification (ticket, event, kind) into the e-mails it owes, in each reader's language.

Threading: every mail of a ticket replies to the ticket's first message (`ticket-<id>-1`), so mail
clients keep one conversation per ticket; subjects carry `[#<id>]` for replies that lose headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.mail_threading import message_id
from integrations.mail import templates as t
from integrations.mail.smtp import MailSettings, OutgoingMail
from store.tables import tickets, users


@dataclass
class Reader:
    email: str
    locale: str
    name: str


async def _readers(conn: AsyncConnection, user_ids: list[str]) -> list[Reader]:
    if not user_ids:
        return []
    rows = await conn.execute(
        select(users.c.email, users.c.locale, users.c.name).where(users.c.id.in_(user_ids))
    )
    return [Reader(r.email, r.locale, r.name) for r in rows]


async def _staff_for(conn: AsyncConnection, ticket: dict[str, Any]) -> list[Reader]:
    """The assignee, or every agent when the ticket is unassigned."""
    if ticket.get("assignee_id"):
        return await _readers(conn, [ticket["assignee_id"]])
    rows = await conn.execute(
        select(users.c.email, users.c.locale, users.c.name).where(users.c.role == "agent")
    )
    return [Reader(r.email, r.locale, r.name) for r in rows]


def _mail(
    settings: MailSettings, ticket_id: int, seq: int, reader: Reader, rendered: tuple[str, str], variant: str
) -> OutgoingMail:
    root = message_id(ticket_id, 1, settings.mail_domain)
    own = message_id(ticket_id, seq, settings.mail_domain, variant)
    return OutgoingMail(
        to=[reader.email],
        subject=rendered[0],
        body=rendered[1],
        message_id=own,
        in_reply_to=None if own == root else root,
        references=[] if own == root else [root],
        headers={"Auto-Submitted": "auto-generated"},
    )


async def compose(
    conn: AsyncConnection,
    settings: MailSettings,
    public_base_url: str,
    ticket_id: int,
    seq: int,
    kind: str,
    data: dict[str, Any],
    suggestions: list[t.KbSuggestion] | None = None,
    source: str = "ticket",
) -> list[OutgoingMail]:
    """The mails one event owes: one per reader so each gets their own language."""
    row = (await conn.execute(select(tickets.c.snapshot).where(tickets.c.id == ticket_id))).first()
    if row is None:
        return []
    ticket = dict(row.snapshot)
    subject = ticket["subject"]
    customers = await _readers(conn, [ticket["requester_id"], *ticket.get("cc", [])])
    mails: list[OutgoingMail] = []

    def each(readers: list[Reader], render: Any, variant: str) -> None:
        for i, reader in enumerate(readers):
            rendered = render(reader)
            mails.append(_mail(settings, ticket_id, seq, reader, rendered, f"{variant}{i}" if i else variant))

    event = kind
    if event == "ticket_created":
        if seq == 1:
            each(customers, lambda r: t.ticket_received(r.locale, ticket_id, subject, suggestions or []), "c")
            mails[:1] = [_as_root(m, settings, ticket_id) for m in mails[:1]]
    elif event == "reply_added":
        agent = data.get("agent_name") or "Support"
        each(customers, lambda r: t.agent_reply(r.locale, ticket_id, subject, agent, data["body"]), "c")
    elif event == "status_changed" and data.get("to") == "resolved":
        survey = f"{public_base_url}/v1/tickets/{ticket_id}/feedback"
        each(customers, lambda r: t.resolved(r.locale, ticket_id, subject, survey), "c")
    elif event in ("sla_warning", "sla_breached"):
        due = datetime.fromisoformat(data["due"])
        render = t.sla_warning if event == "sla_warning" else t.sla_breach
        each(
            await _staff_for(conn, ticket),
            lambda r: render(r.locale, ticket_id, subject, data["clock"], due),
            "s",
        )
    elif event == "pending_reminder":
        due = datetime.fromisoformat(data["auto_resolve_at"])
        each(customers, lambda r: t.pending_reminder(r.locale, ticket_id, subject, due), "c")
    elif event in ("conference_reminder", "conference_accepted") and ticket.get("conference"):
        call = ticket["conference"]
        starts = datetime.fromisoformat(call["scheduled_at"])
        call_mail = (
            t.conference_call_reminder if event == "conference_reminder" else t.conference_call_confirmation
        )
        each(
            customers,
            lambda r: call_mail(
                r.locale, ticket_id, subject, starts, int(call["minutes"]), call["link"] or "-"
            ),
            "m",
        )
    elif event == "stage_changed":
        escalation_id = source
        if data.get("to") == "verifying":
            base = f"{public_base_url}/v1/escalations/{escalation_id}/verification"
            each(
                customers[:1], lambda r: t.verification_request(r.locale, ticket_id, subject, base, base), "v"
            )
        else:
            stage = str(data.get("to"))
            each(
                customers,
                lambda r: t.escalation_stage_changed(r.locale, ticket_id, subject, escalation_id, stage),
                "e",
            )
    return mails


def _as_root(mail: OutgoingMail, settings: MailSettings, ticket_id: int) -> OutgoingMail:
    """The acknowledgement to the requester starts the thread every later mail replies to."""
    mail.message_id = message_id(ticket_id, 1, settings.mail_domain)
    mail.in_reply_to, mail.references = None, []
    return mail
