"""One-click answers in a browser: the portal of tests/web/conftest.py plus the mail outbox
delivering to its SMTP sink (so mails carry links to this portal), and helpers to act through
the real API as customers, agents and engineers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.signed_links import LinkClaims, LinkPurpose, LinkRejected, read_link
from infra.settings import Settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from tests.web.conftest import Person, Portal

LINK = re.compile(r"https?://\S+?/portal/links/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
WAIT_SECONDS = 30


@pytest_asyncio.fixture
async def outbox(portal: Portal, engine: AsyncEngine, settings: Settings) -> AsyncIterator[MailOutbox]:
    """The mailer beside the portal: the notification outbox delivered to the portal's sink.

    Per test, not per session: other portal tests count a person's mails to find their sign-in
    link, and notification mails arriving meanwhile would throw their count off.
    """
    mail = MailSettings(smtp_host="127.0.0.1", smtp_port=portal.sink.port)
    delivering = MailOutbox(engine, mail, portal.base_url, link_key(settings))
    stop = asyncio.Event()
    task = asyncio.create_task(delivering.run(stop, interval=0.2))
    yield delivering
    stop.set()
    await task


@dataclass
class Desk:
    """The real HTTP API of the portal's app, for what the test's people do outside the browser."""

    portal: Portal
    settings: Settings

    async def call(self, who: Person, method: str, path: str, body: Any = None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.portal.base_url, timeout=30) as api:
            headers = {"Authorization": f"Bearer {who.api_key}"}
            return await api.request(method, path, json=body, headers=headers)

    async def ok(self, who: Person, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = await self.call(who, method, path, body)
        assert answer.status_code in (200, 201, 202), answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def open_ticket(self, who: Person, subject: str) -> int:
        body = {"subject": subject, "description": "Since Monday", "severity": 3, "allow_duplicate": True}
        return int((await self.ok(who, "POST", "/v1/tickets", body))["id"])

    async def ticket(self, who: Person, ticket_id: int) -> dict[str, Any]:
        return await self.ok(who, "GET", f"/v1/tickets/{ticket_id}")

    async def eventually(self, who: Person, ticket_id: int, key: str, value: Any) -> dict[str, Any]:
        """The read model is written by the workflow: poll until the ticket shows `key == value`."""
        for _ in range(WAIT_SECONDS * 10):
            ticket = await self.ticket(who, ticket_id)
            if ticket.get(key) == value:
                return ticket
            await asyncio.sleep(0.1)
        raise AssertionError(f"ticket #{ticket_id} never had {key}={value!r}: {ticket}")

    async def link(self, person: Person, ticket_id: int, purpose: LinkPurpose) -> str:
        """The signed link for `purpose` in a mail to `person` about the ticket, once it arrives."""
        for _ in range(WAIT_SECONDS * 10):
            for content in self.portal.mails_to(person.email):
                for match in LINK.finditer(content):
                    claims = self.claims(match.group(1))
                    if claims and claims.ticket_id == ticket_id and claims.purpose is purpose:
                        return match.group(0)
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {purpose} link for #{ticket_id} reached {person.email}")

    def claims(self, token: str) -> LinkClaims | None:
        try:
            return read_link(link_key(self.settings), token, datetime.now(UTC))
        except LinkRejected:
            return None


@pytest_asyncio.fixture
async def desk(portal: Portal, settings: Settings, outbox: MailOutbox) -> Desk:
    return Desk(portal, settings)
