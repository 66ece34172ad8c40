"""Automatic and rate-limited mail never opens, reopens or joins a ticket: it waits in the suspended-mail
queue for an agent, with the same SMTP answer as any mail taken (real SMTP, Postgres, Temporal)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from entrypoints.inbound_mail import MailIntake
from infra.settings import Settings
from integrations.mail.inbound_server import InboundServer, InboundSettings
from tests.api.inbound_bed import RELAY, dmarc_pass, email_of, inbound, message, send, token_address
from tests.api.test_suspended_mail import held
from tests.support.identities import Org
from tests.support.ports import free_port

__all__ = ["inbound"]  # the fixture


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
    settings: Settings,
    inbound: int,
    engine: AsyncEngine,
    markers: dict[str, str],
) -> None:
    """Even from the customer's own mailbox to their own reply token: held, the ticket unchanged."""
    sender = await email_of(engine, org, "customer")
    subject = f"Export stuck {uuid.uuid4().hex[:6]}"
    created = await http.post(
        "/v1/tickets", json={"subject": subject, "description": "x"}, headers=org["customer"].headers
    )
    ticket_id = created.json()["id"]
    url = f"/v1/tickets/{ticket_id}"
    await http.post(f"{url}/resolve", headers=staff["agent"].headers)
    before = (await http.get(url, headers=staff["agent"].headers)).json()
    assert before["status"] == "resolved"

    to = token_address(settings, ticket_id, org["customer"].id)
    away = f"I am out of office until Monday {uuid.uuid4().hex[:6]}."
    reply = message(sender, f"Re: [#{ticket_id}] {subject}", away, to=to, headers=markers)
    fresh = f"Out of office {uuid.uuid4().hex[:6]}"
    new = message(sender, fresh, f"{away} (new)", headers={**markers, **dmarc_pass(sender)})
    answers = {await send(inbound, reply), await send(inbound, new)}

    assert len(answers) == 1  # the same answer as any mail taken: no oracle
    after = (await http.get(url, headers=staff["agent"].headers)).json()
    assert after["status"] == "resolved" and len(after["timeline"]) == len(before["timeline"])
    assert await _tickets(http, org["customer"], fresh) == []
    assert (await held(http, staff, away))["reason"] == "automatic"


async def test_over_the_sender_limit_mail_is_held_and_opens_nothing(
    http: httpx.AsyncClient,
    org: Org,
    staff: Org,
    engine: AsyncEngine,
    client: Client,
    settings: Settings,
    worker: Worker,
) -> None:
    sender = await email_of(engine, org, "customer")
    subjects = [f"Flood {n} {uuid.uuid4().hex[:6]}" for n in range(3)]
    trusting = settings.model_copy(update={"mail_trusted_authserv_id": RELAY})
    port = free_port()
    limited = InboundSettings(smtp_inbound_sender_limit=2)
    async with InboundServer(MailIntake(engine, client, trusting), limited, port=port):
        for subject in subjects:
            await send(port, message(sender, subject, f"again {subject}", headers=dmarc_pass(sender)))
    assert [len(await _tickets(http, org["customer"], s)) for s in subjects] == [1, 1, 0]
    assert (await held(http, staff, f"again {subjects[2]}"))["reason"] == "sender_over_limit"
