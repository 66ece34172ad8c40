"""Take an inbound message as its sender's: open a ticket with it, or add it as their reply.

Inbound mail (once the message is authenticated) and an agent accepting a suspended message both
come here, so a mail becomes a ticket or a reply one way only, through the same service calls as
the API (`open_ticket`, `reply`, attachment checks): the sender's context decides what they may touch.
"""

from __future__ import annotations

from dataclasses import replace

from domain.attachment_types import AttachmentRejected
from domain.mail_threading import strip_subject_prefixes
from domain.ticket.state import Channel
from infra.log import get_logger
from integrations.mail.inbound_server import InboundMail
from services import attachments, tickets
from services.attachment_refs import MAX_ATTACHMENTS_PER_MESSAGE
from services.commands import TicketRef, visible
from services.context import Context
from services.problems import Problem

log = get_logger(__name__)


async def take_mail(context: Context, mail: InboundMail, ticket_id: int | None, key: str | None) -> int:
    """The ticket the message went to: `ticket_id`'s reply, or a new ticket when None.

    A reply to a closed ticket opens a follow-up ticket naming it (the closed one stays read-only).
    Raises `Problem` (the ticket refuses: not visible, …) or `AttachmentRejected`.
    """
    if ticket_id is not None:
        await visible(
            context, TicketRef(ticket_id)
        )  # the ticket is known (404 otherwise) before any file is kept
    attachment_ids = await _store_attachments(mail, context)
    if ticket_id is None:
        return await _open(context, mail, _ticket_draft(mail, attachment_ids), key)
    draft = tickets.ReplyDraft(body=_text(mail), attachments=attachment_ids)
    try:
        await tickets.reply(context, ticket_id, draft, key)
    except Problem as exc:
        if exc.status != 409 or exc.extensions.get("current_status") != "closed":
            raise
        # A closed ticket is read-only: the reply becomes a follow-up ticket that names it.
        follow_up = replace(_ticket_draft(mail, attachment_ids), follow_up_of=ticket_id)
        return await _open(context, mail, follow_up, key)
    log.info("e-mail reply added", ticket_id=ticket_id, sender=mail.sender)
    return ticket_id


async def _open(context: Context, mail: InboundMail, draft: tickets.TicketDraft, key: str | None) -> int:
    opened, _ = await tickets.open_ticket(context, draft, key)
    log.info("ticket opened by e-mail", ticket_id=opened, sender=mail.sender, follow_up_of=draft.follow_up_of)
    return opened


def _text(mail: InboundMail) -> str:
    return mail.body or mail.full_text or "(empty message)"


def _ticket_draft(mail: InboundMail, attachment_ids: list[str]) -> tickets.TicketDraft:
    subject = strip_subject_prefixes(mail.subject).strip()
    if len(subject) < 3:
        subject = f"E-mail from {mail.sender_name or mail.sender}"
    return tickets.TicketDraft(
        subject=subject[:200],
        description=_text(mail),
        channel=Channel.EMAIL,
        attachments=attachment_ids,
        allow_duplicate=True,
    )


async def _store_attachments(mail: InboundMail, context: Context) -> list[str]:
    """Every file checked (as the API does) before any is stored: a refused one refuses the mail."""
    if len(mail.attachments) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise AttachmentRejected(422, f"at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments per message")
    for attachment in mail.attachments:
        attachments.check(attachment.filename, attachment.content)
    stored = [await attachments.upload(context, a.filename, a.content) for a in mail.attachments]
    return [row["id"] for row in stored]
