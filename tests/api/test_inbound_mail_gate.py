"""Automatic and rate-limited mail never opens, reopens or joins a ticket (real SMTP, Postgres, Temporal)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from entrypoints.inbound_mail import MailIntake
from infra.settings import Settings
from integrations.mail.inbound_server import InboundServer, InboundSettings
from tests.api.test_inbound_mail import emails_of, message
from tests.support.identities import Org
from tests.support.ports import free_port


async def _answer(port: int, msg: EmailMessage) -> str:
    """The server's (2xx) answer text; a refusal would raise."""
    _, reply = await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, timeout=20)
    return reply


async def _tickets(http: httpx.AsyncClient, who: Any, subject: str) -> list[dict[str, Any]]:
    response = await http.get("/v1/tickets", params={"q": subject}, headers=who.headers)
    return list(response.json()["items"])


@pytest.mark.parametrize(
    "markers",
    [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Precedence": "bulk"}],
)
async def test_out_of_office_neither_reopens_nor_opens(
    http: httpx.AsyncClient,
    org: Org,
    staff: Org,
    engine: AsyncEngine,
    client: Client,
    settings: Settings,
    worker: Worker,
    markers: dict[str, str],
) -> None:
    sender = await emails_of(engine, org, "customer")
    subject = f"Export stuck {uuid.uuid4().hex[:6]}"
    created = await http.post(
        "/v1/tickets", json={"subject": subject, "description": "x"}, headers=org["customer"].headers
    )
    ticket_id = created.json()["id"]
    url = f"/v1/tickets/{ticket_id}"
    await http.post(f"{url}/resolve", headers=staff["agent"].headers)
    before = (await http.get(url, headers=staff["agent"].headers)).json()
    assert before["status"] == "resolved"

    port = free_port()
    async with InboundServer(MailIntake(engine, client, settings), InboundSettings(), port=port):
        reply = message(sender, f"Re: [#{ticket_id}] {subject}", "I am out of office until Monday.")
        new = message(sender, f"Out of office {uuid.uuid4().hex[:6]}", "I am out of office until Monday.")
        for msg in (reply, new):
            for name, value in markers.items():
                msg[name] = value
        replied = await _answer(port, reply)
        opened = await _answer(port, new)

    assert "automatic message" in replied and "automatic message" in opened
    after = (await http.get(url, headers=staff["agent"].headers)).json()
    assert after["status"] == "resolved" and len(after["timeline"]) == len(before["timeline"])
    assert await _tickets(http, org["customer"], str(new["Subject"])) == []


async def test_over_the_sender_limit_mail_is_accepted_but_opens_nothing(
    http: httpx.AsyncClient,
    org: Org,
    engine: AsyncEngine,
    client: Client,
    settings: Settings,
    worker: Worker,
) -> None:
    sender = await emails_of(engine, org, "customer")
    subjects = [f"Flood {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    port = free_port()
    inbound = InboundSettings(smtp_inbound_sender_limit=2)
    async with InboundServer(MailIntake(engine, client, settings), inbound, port=port):
        answers = [await _answer(port, message(sender, subject, "again")) for subject in subjects]
    assert "opened" in answers[0] and "opened" in answers[1]
    assert "too many messages" in answers[2]
    assert [len(await _tickets(http, org["customer"], subject)) for subject in subjects] == [1, 1, 0]
