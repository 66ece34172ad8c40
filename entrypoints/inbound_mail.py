"""Inbound e-mail (seeds 001, 002): customers open tickets and answer by replying.

Who wrote a message is not what its `From` says: a message is taken as its sender's only when it was
sent to the reply address we made for that sender on that ticket (`Reply-To` of our mail,
domain/reply_address.py), or when the relay we trust (MAIL_TRUSTED_AUTHSERV_ID) reports a DMARC pass
for the sender's domain. Everything else (unknown or malformed senders, no token, automatic mail, a
ticket that refuses the reply) is held in the suspended-mail queue for an agent
(services/suspended_mail.py). The SMTP answer is the same `250` for all of it, so it tells a stranger
nothing about which addresses are registered or which tickets exist and in what state; only what
every server refuses (size, syntax) is refused, by the SMTP server itself. A temporary failure
(Temporal or Postgres away) answers 451 and the sender's server retries.

    python -m entrypoints.inbound_mail      (SMTP on 127.0.0.1:2525, SMTP_INBOUND_PORT to change)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from domain.actors import CUSTOMER_ROLES
from domain.attachment_types import AttachmentRejected
from domain.mail_admission import Admission, Evidence, SuspendReason, admit
from domain.reply_address import ticket_replied_to
from infra.log import configure_logging, get_logger
from infra.settings import Settings, get_settings, link_key
from infra.temporal_client import connect
from integrations.mail import inbound_evidence as seen
from integrations.mail.inbound_server import InboundDecision, InboundMail, InboundServer, InboundSettings
from services import suspended_mail
from services.context import Context, fixed_client
from services.mail_intake import take_mail
from services.problems import Problem
from store.db import create_engine
from store.identities import Principal, principal_for_email

log = get_logger(__name__)
# One answer for everything taken, onto a ticket or into the queue: no oracle.
ACCEPTED = InboundDecision.accept("2.0.0 message accepted")
TRY_AGAIN = InboundDecision.reject(451, "4.3.0 try again later")


class MailIntake:
    """The inbound server's callback: who wrote it, then onto the ticket or into the suspended queue."""

    def __init__(self, engine: AsyncEngine, client: Client, settings: Settings) -> None:
        self._engine = engine
        self._client = client
        self._settings = settings
        self._key = link_key(settings)

    def _context(self, principal: Principal) -> Context:
        """The sender's service context: they see and change what they would through the API."""
        return Context(principal, self._engine, self._settings, fixed_client(self._client))

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        message = seen.headers_of(mail)
        addresses = seen.addresses_written_to(mail, message)
        async with self._engine.connect() as conn:
            principal = await principal_for_email(conn, mail.sender)
        admission = admit(self._evidence(mail, message, addresses, principal))
        claimed = seen.claimed_ticket(mail, addresses)
        if admission.suspended or principal is None:
            return await self._hold(mail, admission, claimed)
        return await self._take(mail, principal, admission, claimed)

    def _evidence(
        self, mail: InboundMail, message: EmailMessage, addresses: list[str], principal: Principal | None
    ) -> Evidence:
        token_ticket = ticket_replied_to(self._key, addresses, principal.user_id) if principal else None
        return Evidence(
            automatic=mail.is_automatic,
            sender_problem=seen.sender_problem(mail, message),
            over_limit=seen.over_limit(mail),
            sender_known=principal is not None,
            sender_is_customer=principal is not None and principal.role in CUSTOMER_ROLES,
            token_ticket_id=token_ticket,
            dmarc_pass=seen.dmarc_pass(mail, message, self._settings.mail_trusted_authserv_id),
            claimed_ticket_id=mail.ticket_id,
        )

    async def _take(
        self, mail: InboundMail, principal: Principal, admission: Admission, claimed: int | None
    ) -> InboundDecision:
        """Onto the ticket as the sender; whatever the ticket refuses is held, not bounced."""
        key = f"mail:{mail.message_id}" if mail.message_id else None
        try:
            await take_mail(self._context(principal), mail, admission.ticket_id, key)
        except AttachmentRejected as exc:
            return await self._hold(mail, Admission(reason=SuspendReason.REFUSED, detail=exc.reason), claimed)
        except Problem as exc:
            if exc.status >= 500:
                return TRY_AGAIN
            refused = Admission(reason=SuspendReason.REFUSED, detail=f"{exc.status}: {exc.detail}")
            return await self._hold(mail, refused, admission.ticket_id or claimed)
        return ACCEPTED

    async def _hold(self, mail: InboundMail, admission: Admission, claimed: int | None) -> InboundDecision:
        reason = admission.reason or SuspendReason.UNKNOWN_SENDER
        held = await suspended_mail.hold(
            self._engine, self._settings, mail, reason, admission.detail, claimed
        )
        log.info("inbound mail suspended", mail_id=held, reason=reason, sender=mail.sender, ticket_id=claimed)
        return ACCEPTED


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
