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
from typing import Any

from sqlalchemy import func, select

from api.auth import can_see_ticket
from api.problems import Problem
from api.schemas import TicketCreate
from api.ticket_opening import actor_of, bind_attachments, open_ticket
from api.ticket_updates import send_update
from domain.attachment_types import AttachmentRejected, classify
from domain.mail_threading import strip_subject_prefixes
from domain.ticket.commands import Reply
from domain.ticket.state import Channel
from infra.log import configure_logging, get_logger
from infra.settings import Settings, get_settings
from infra.temporal_client import connect
from integrations.mail.inbound_gate import held_back
from integrations.mail.inbound_server import InboundDecision, InboundMail, InboundServer, InboundSettings
from store.attachments import insert_attachment
from store.db import create_engine
from store.identities import Principal
from store.tables import users
from store.ticket_queries import get_ticket_row
from workflows.ticket import TicketWorkflow

log = get_logger(__name__)
MAX_ATTACHMENTS = 5


class MailIntake:
    """The inbound server's callback: decides per message, then acts through the same code as the API."""

    def __init__(self, engine: Any, client: Any, settings: Settings) -> None:
        self._engine = engine
        self._client = client
        self._settings = settings

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        if (held := held_back(mail)) is not None:  # automatic or rate-limited: never touches a ticket
            return held
        principal = await self._sender(mail.sender)
        if principal is None:
            return InboundDecision.reject(
                550, "5.7.1 unknown sender: ask your administrator to register this address"
            )
        try:
            attachment_ids = await self._store_attachments(mail, principal)
            if mail.ticket_id is not None:
                return await self._reply(mail, principal, attachment_ids)
            return await self._open(mail, principal, attachment_ids)
        except AttachmentRejected as exc:
            return InboundDecision.reject(
                552 if exc.status == 413 else 554, f"5.7.1 attachment refused: {exc.reason}"
            )
        except Problem as exc:
            if exc.status >= 500:
                return InboundDecision.reject(451, "4.3.0 try again later")
            return InboundDecision.reject(550, f"5.7.1 {exc.detail}"[:400])

    async def _sender(self, address: str) -> Principal | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(select(users).where(func.lower(users.c.email) == address.lower())))
                .mappings()
                .first()
            )
        if row is None or row["role"] not in ("customer", "org_admin"):
            return None
        return Principal(row["id"], row["org_id"], row["role"], row["name"], row["email"], row["locale"])

    async def _store_attachments(self, mail: InboundMail, principal: Principal) -> list[str]:
        if len(mail.attachments) > MAX_ATTACHMENTS:
            raise AttachmentRejected(422, f"at most {MAX_ATTACHMENTS} attachments per message")
        kinds = [(a, classify(a.filename, a.content)) for a in mail.attachments]
        ids = []
        async with self._engine.begin() as conn:
            for attachment, kind in kinds:
                stored = await insert_attachment(
                    conn,
                    org_id=principal.org_id,
                    uploader_id=principal.user_id,
                    filename=attachment.filename,
                    content_type=kind.content_type,
                    data=attachment.content,
                )
                ids.append(stored["id"])
        return ids

    async def _open(
        self, mail: InboundMail, principal: Principal, attachment_ids: list[str]
    ) -> InboundDecision:
        subject = strip_subject_prefixes(mail.subject).strip()
        if len(subject) < 3:
            subject = f"E-mail from {mail.sender_name or mail.sender}"
        body = TicketCreate(
            subject=subject[:200],
            description=mail.body or mail.full_text or "(empty message)",
            channel=Channel.EMAIL,
            attachments=attachment_ids,
            allow_duplicate=True,
        )
        key = f"mail:{mail.message_id}" if mail.message_id else None
        ticket_id, _ = await open_ticket(self._engine, self._client, self._settings, principal, body, key)
        log.info("ticket opened by e-mail", ticket_id=ticket_id, sender=mail.sender)
        return InboundDecision.accept(f"2.0.0 ticket #{ticket_id} opened")

    async def _reply(
        self, mail: InboundMail, principal: Principal, attachment_ids: list[str]
    ) -> InboundDecision:
        ticket_id = mail.ticket_id
        assert ticket_id is not None
        async with self._engine.connect() as conn:
            ticket = await get_ticket_row(conn, ticket_id)
        if ticket is None or not can_see_ticket(principal, ticket):
            return InboundDecision.reject(550, f"5.7.1 no ticket #{ticket_id} for this sender")
        if ticket["status"] == "closed":
            return InboundDecision.reject(
                550, f"5.7.1 ticket #{ticket_id} is closed; write without [#{ticket_id}] to open a new one"
            )
        command = Reply(
            actor=actor_of(principal),
            body=mail.body or mail.full_text or "(empty message)",
            attachments=attachment_ids,
            request_id=f"mail:{mail.message_id}" if mail.message_id else None,
        )
        await send_update(
            self._client, ticket_id, TicketWorkflow.reply, command, self._settings.api_update_timeout_seconds,
            command.request_id,
        )  # fmt: skip
        await bind_attachments(self._engine, attachment_ids, ticket_id, principal)
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
