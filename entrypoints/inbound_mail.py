"""Inbound e-mail (seeds 001, 002): customers open tickets and answer by replying.

A message from a known user becomes a new ticket, or a customer reply when it names a ticket (`[#id]`
in the subject, or one of our Message-IDs in In-Reply-To / References). Attachments pass the same
content checks as the API. Unknown senders, another organisation's ticket, a closed ticket or a bad
attachment get a clear SMTP rejection, so nothing is lost silently; a temporary failure (Temporal or
Postgres away) answers 451 and the sender's server retries.

    python -m entrypoints.inbound_mail      (SMTP on 127.0.0.1:2525, SMTP_INBOUND_PORT to change)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from domain.actors import CUSTOMER_ROLES
from domain.attachment_types import AttachmentRejected
from domain.mail_threading import strip_subject_prefixes
from domain.ticket.state import Channel
from infra.log import configure_logging, get_logger
from infra.settings import Settings, get_settings
from infra.temporal_client import connect
from integrations.mail.inbound_gate import held_back
from integrations.mail.inbound_server import InboundDecision, InboundMail, InboundServer, InboundSettings
from services import attachments, tickets
from services.context import Context, fixed_client
from services.problems import Problem
from store.db import create_engine
from store.identities import Principal, principal_for_email

log = get_logger(__name__)
MAX_ATTACHMENTS = 5


class MailIntake:
    """The inbound server's callback: decides per message, then acts through the same code as the API."""

    def __init__(self, engine: AsyncEngine, client: Client, settings: Settings) -> None:
        self._engine = engine
        self._client = client
        self._settings = settings

    def _context(self, principal: Principal) -> Context:
        """The sender's service context: they see and change what they would through the API."""
        return Context(principal, self._engine, self._settings, fixed_client(self._client))

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        if (held := held_back(mail)) is not None:  # automatic or rate-limited: never touches a ticket
            return held
        async with self._engine.connect() as conn:
            principal = await principal_for_email(conn, mail.sender)
        if principal is None or principal.role not in CUSTOMER_ROLES:
            return InboundDecision.reject(
                550, "5.7.1 unknown sender: ask your administrator to register this address"
            )
        context = self._context(principal)
        try:
            attachment_ids = await self._store_attachments(mail, context)
            if mail.ticket_id is not None:
                return await self._reply(mail, context, attachment_ids)
            return await self._open(mail, context, attachment_ids)
        except AttachmentRejected as exc:
            return InboundDecision.reject(
                552 if exc.status == 413 else 554, f"5.7.1 attachment refused: {exc.reason}"
            )
        except Problem as exc:
            if exc.status >= 500:
                return InboundDecision.reject(451, "4.3.0 try again later")
            return InboundDecision.reject(550, f"5.7.1 {exc.detail}"[:400])

    async def _store_attachments(self, mail: InboundMail, context: Context) -> list[str]:
        """Every file checked (as the API does) before any is stored: a refused one refuses the mail."""
        if len(mail.attachments) > MAX_ATTACHMENTS:
            raise AttachmentRejected(422, f"at most {MAX_ATTACHMENTS} attachments per message")
        for attachment in mail.attachments:
            attachments.check(attachment.filename, attachment.content)
        stored = [await attachments.upload(context, a.filename, a.content) for a in mail.attachments]
        return [row["id"] for row in stored]

    async def _open(self, mail: InboundMail, context: Context, attachment_ids: list[str]) -> InboundDecision:
        subject = strip_subject_prefixes(mail.subject).strip()
        if len(subject) < 3:
            subject = f"E-mail from {mail.sender_name or mail.sender}"
        draft = tickets.TicketDraft(
            subject=subject[:200],
            description=mail.body or mail.full_text or "(empty message)",
            channel=Channel.EMAIL,
            attachments=attachment_ids,
            allow_duplicate=True,
        )
        key = f"mail:{mail.message_id}" if mail.message_id else None
        ticket_id, _ = await tickets.open_ticket(context, draft, key)
        log.info("ticket opened by e-mail", ticket_id=ticket_id, sender=mail.sender)
        return InboundDecision.accept(f"2.0.0 ticket #{ticket_id} opened")

    async def _reply(self, mail: InboundMail, context: Context, attachment_ids: list[str]) -> InboundDecision:
        """A customer reply through the same command path as the API; refusals become SMTP answers."""
        ticket_id = mail.ticket_id
        assert ticket_id is not None
        draft = tickets.ReplyDraft(
            body=mail.body or mail.full_text or "(empty message)", attachments=attachment_ids
        )
        key = f"mail:{mail.message_id}" if mail.message_id else None
        try:
            await tickets.reply(context, ticket_id, draft, key)
        except Problem as exc:
            if exc.status == 404:
                return InboundDecision.reject(550, f"5.7.1 no ticket #{ticket_id} for this sender")
            if exc.status == 409 and exc.extensions.get("current_status") == "closed":
                return InboundDecision.reject(
                    550,
                    f"5.7.1 ticket #{ticket_id} is closed; write without [#{ticket_id}] to open a new one",
                )
            raise
        log.info("e-mail reply added", ticket_id=ticket_id, sender=mail.sender)
        return InboundDecision.accept(f"2.0.0 reply added to ticket #{ticket_id}")


async def serve() -> None:
    settings = get_settings()
    configure_logging(settings)
    engine = create_engine(settings.database_url, pool_size=4)
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    inbound = InboundSettings()
    async with InboundServer(MailIntake(engine, client, settings), inbound):
        log.info("inbound e-mail listening", port=inbound.smtp_inbound_port)
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(serve())
    sys.stdout.flush()
    os._exit(0)
