"""Inbound e-mail on a real SMTP server (127.0.0.1): new tickets, replies to the reply-token address."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from tests.api.inbound_bed import dmarc_pass, email_of, inbound, message, send
from tests.api.test_conversation_api import PNG
from tests.support.identities import Org
from tests.support.ports import free_port

__all__ = ["inbound"]  # the fixture


async def latest_ticket(http: httpx.AsyncClient, who, subject: str) -> dict:
    listed = (await http.get("/v1/tickets", params={"q": subject}, headers=who.headers)).json()["items"]
    assert listed, f"no ticket with subject {subject!r}"
    return listed[0]


async def reply_to_of_agent_reply(
    engine: AsyncEngine, settings: Settings, tmp: Path, ticket_id: int, to: str
) -> str:
    """The Reply-To of the agent's reply as the real outbox sends it to the customer."""
    with MailSink(directory=tmp / "mail", port=free_port()) as sink:
        outbox = MailOutbox(
            engine, MailSettings(smtp_port=sink.port), "http://127.0.0.1:8000", link_key(settings)
        )
        for _ in range(50):
            await outbox.deliver_due()
            mails = [
                m for m in sink.messages if f"[#{ticket_id}]" in str(m["Subject"]) and str(m["To"]) == to
            ]
            if any("plugged" in m.get_content() for m in mails):
                break
            await asyncio.sleep(0.1)
    reply = next(m for m in mails if "plugged" in m.get_content())
    return str(reply["Reply-To"])


async def test_new_ticket_then_reply_by_email(
    http: httpx.AsyncClient,
    org: Org,
    staff: Org,
    engine: AsyncEngine,
    settings: Settings,
    inbound: int,
    tmp_path: Path,
) -> None:
    sender = await email_of(engine, org, "customer")
    subject = f"Printer offline {uuid.uuid4().hex[:6]}"
    first = message(
        sender,
        subject,
        "It stopped this morning.\n\n-- \nCarla",
        attachment=("shot.png", PNG),
        headers=dmarc_pass(sender),
    )
    await send(inbound, first)
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
    token = await reply_to_of_agent_reply(engine, settings, tmp_path, ticket["id"], sender)
    assert token.startswith(f"support+t{ticket['id']}.")
    reply = "Yes it is.\n\nOn Mon, Support wrote:\n> Is it plugged in?\n"
    await send(inbound, message(sender, f"Re: [#{ticket['id']}] {subject}", reply, to=token))
    detail = (await http.get(url, headers=org["customer"].headers)).json()
    assert detail["status"] == "open"
    assert detail["timeline"][-2]["data"]["body"] == "Yes it is."
