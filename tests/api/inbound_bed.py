"""What the inbound-mail tests share: a real SMTP server on 127.0.0.1 running the real intake (real
Postgres, real Temporal worker), messages as a mail client writes them, and reply-token addresses
made the way the outbox makes them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from domain.reply_address import reply_address
from entrypoints.inbound_mail import MailIntake
from infra.settings import Settings, link_key
from integrations.mail.inbound_server import InboundServer, InboundSettings
from store import identities
from store.scope import Scope
from tests.support.identities import Org
from tests.support.ports import free_port

RELAY = "mx.escalator.test"  # the relay whose Authentication-Results the intake trusts here
SUPPORT = "support@escalator.localhost"


@pytest_asyncio.fixture
async def inbound(
    engine: AsyncEngine, client: Client, settings: Settings, worker: Worker
) -> AsyncIterator[int]:
    trusting = settings.model_copy(update={"mail_trusted_authserv_id": RELAY})
    port = free_port()
    async with InboundServer(MailIntake(engine, client, trusting), InboundSettings(), port=port):
        yield port


async def email_of(engine: AsyncEngine, org: Org, role: str) -> str:
    async with engine.connect() as conn:
        user = await identities.get_user(conn, Scope.everything(), org[role].id)
    assert user is not None
    return str(user["email"])


def token_address(settings: Settings, ticket_id: int, user_id: str) -> str:
    """The Reply-To the outbox gives this user's mails about this ticket."""
    return reply_address(link_key(settings), ticket_id, user_id, SUPPORT)


def message(
    sender: str,
    subject: str,
    body: str,
    *,
    to: str = SUPPORT,
    attachment: tuple[str, bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if attachment:
        msg.add_attachment(
            attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0]
        )
    return msg


def dmarc_pass(sender: str) -> dict[str, str]:
    """The trusted relay's verdict for the sender's own domain."""
    domain = sender.rpartition("@")[2]
    return {
        "Authentication-Results": f"{RELAY}; spf=pass smtp.mailfrom={domain}; dmarc=pass header.from={domain}"
    }


async def send(port: int, msg: EmailMessage) -> str:
    """Deliver over SMTP; the server's whole final answer (code and text), which must not vary."""
    _, answer = await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, timeout=20)
    return answer
