"""Inbound e-mail on a real SMTP server (127.0.0.1): new tickets, replies, refusals with clear reasons."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from entrypoints.inbound_mail import MailIntake
from infra.settings import Settings
from integrations.mail.inbound_server import InboundServer, InboundSettings
from store import identities
from store.scope import Scope
from tests.api.test_conversation_api import PNG
from tests.support.identities import Org
from tests.support.ports import free_port


@pytest_asyncio.fixture
async def inbound(
    engine: AsyncEngine, client: Client, settings: Settings, worker: Worker
) -> AsyncIterator[int]:
    port = free_port()
    async with InboundServer(MailIntake(engine, client, settings), InboundSettings(), port=port):
        yield port


async def emails_of(engine: AsyncEngine, org: Org, role: str) -> str:
    async with engine.connect() as conn:
        user = await identities.get_user(conn, Scope.everything(), org[role].id)
    assert user is not None
    return str(user["email"])


def message(
    sender: str, subject: str, body: str, attachment: tuple[str, bytes] | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@escalator.localhost", subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
    msg.set_content(body)
    if attachment:
        msg.add_attachment(
            attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0]
        )
    return msg


async def send(port: int, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, timeout=20)


async def latest_ticket(http: httpx.AsyncClient, who, subject: str) -> dict:
    listed = (await http.get("/v1/tickets", params={"q": subject}, headers=who.headers)).json()["items"]
    assert listed, f"no ticket with subject {subject!r}"
    return listed[0]


async def test_new_ticket_then_reply_by_email(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    sender = await emails_of(engine, org, "customer")
    subject = f"Printer offline {uuid.uuid4().hex[:6]}"
    await send(inbound, message(sender, subject, "It stopped this morning.\n\n-- \nCarla", ("shot.png", PNG)))
    ticket = await latest_ticket(http, org["customer"], subject)
    assert ticket["channel"] == "email"
    detail = (await http.get(f"/v1/tickets/{ticket['id']}", headers=staff["agent"].headers)).json()
    assert detail["description"] == "It stopped this morning."  # signature stripped
    assert [a["filename"] for a in detail["attachments"]] == ["shot.png"]

    url = f"/v1/tickets/{ticket['id']}"
    await http.post(
        f"{url}/replies",
        json={"body": "Is it plugged in?", "await_customer": True},
        headers=staff["agent"].headers,
    )
    reply = "Yes it is.\n\nOn Mon, Support wrote:\n> Is it plugged in?\n"
    await send(inbound, message(sender, f"Re: [#{ticket['id']}] {subject}", reply))
    detail = (await http.get(url, headers=org["customer"].headers)).json()
    assert detail["status"] == "open"
    assert detail["timeline"][-2]["data"]["body"] == "Yes it is."


async def test_refusals_are_clear_smtp_errors(
    http: httpx.AsyncClient, org: Org, other_org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    with pytest.raises(aiosmtplib.SMTPResponseException) as unknown:
        await send(inbound, message("stranger@nowhere.example", "Hello there", "who am I"))
    assert unknown.value.code == 550 and "unknown sender" in unknown.value.message

    ticket = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"Mine {uuid.uuid4().hex}", "description": "x"},
            headers=org["customer"].headers,
        )
    ).json()
    outsider = await emails_of(engine, other_org, "customer")
    with pytest.raises(aiosmtplib.SMTPResponseException) as foreign:
        await send(inbound, message(outsider, f"Re: [#{ticket['id']}] hi", "let me in"))
    assert foreign.value.code == 550 and f"#{ticket['id']}" in foreign.value.message

    await http.post(f"/v1/tickets/{ticket['id']}/close", headers=org["customer"].headers)
    sender = await emails_of(engine, org, "customer")
    with pytest.raises(aiosmtplib.SMTPResponseException) as closed:
        await send(inbound, message(sender, f"Re: [#{ticket['id']}] hi", "one more thing"))
    assert closed.value.code == 550 and "closed" in closed.value.message

    with pytest.raises(aiosmtplib.SMTPResponseException) as spoofed:
        await send(inbound, message(sender, "Spoofed file", "see attached", ("report.pdf", PNG)))
    assert spoofed.value.code == 554 and "attachment" in spoofed.value.message
