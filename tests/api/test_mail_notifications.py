"""Outgoing e-mail for ticket events, through the outbox, to a real SMTP sink on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.signed_links import LinkPurpose, read_link
from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store import identities
from store.tables import notifications
from tests.support.identities import Org
from tests.support.ports import free_port


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path / "mail", port=free_port()) as running:
        yield running


def mails_for(sink: MailSink, ticket_id: int) -> list:
    return [m for m in sink.messages if f"[#{ticket_id}]" in str(m["Subject"])]


async def deliver_until(outbox: MailOutbox, sink: MailSink, ticket_id: int, count: int) -> list:
    """Notifications are recorded by activities started after each projection: give them a moment."""
    for _ in range(50):
        await outbox.deliver_due()
        if len(mails_for(sink, ticket_id)) >= count:
            break
        await asyncio.sleep(0.1)
    return mails_for(sink, ticket_id)


async def test_acknowledgement_reply_and_resolution_mails_thread_and_go_once(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, sink: MailSink, settings: Settings
) -> None:
    outbox = MailOutbox(
        engine, MailSettings(smtp_port=sink.port), "http://127.0.0.1:8000", link_key(settings)
    )
    subject = f"Export stops {uuid.uuid4().hex[:6]}"
    ticket = (
        await http.post(
            "/v1/tickets", json={"subject": subject, "description": "x"}, headers=org["customer"].headers
        )
    ).json()
    url = f"/v1/tickets/{ticket['id']}"
    await http.post(
        f"{url}/replies",
        json={"body": "Which browser do you use?", "await_customer": True},
        headers=staff["agent"].headers,
    )
    await http.post(
        f"{url}/replies", json={"body": "internal only", "internal": True}, headers=staff["agent"].headers
    )
    await http.post(f"{url}/resolve", headers=staff["agent"].headers)
    mails = await deliver_until(outbox, sink, ticket["id"], 3)
    assert [m["Subject"].split(":")[0] for m in mails][:1] == [f"[#{ticket['id']}] {subject}".split(":")[0]]
    assert len(mails) == 3, [m["Subject"] for m in mails]  # ack, public reply, resolved; never the note
    root = mails[0]["Message-ID"]
    assert root == f"<ticket-{ticket['id']}-1@escalator.localhost>"
    assert all(m["In-Reply-To"] == root for m in mails[1:])
    assert "Which browser do you use?" in mails[1].get_content()
    tokens = re.findall(r"http://127\.0\.0\.1:8000/portal/links/(\S+)", mails[2].get_content())
    claims = [read_link(link_key(settings), token, datetime.now(UTC)) for token in tokens]
    assert [c.purpose for c in claims] == [LinkPurpose.SURVEY_YES, LinkPurpose.SURVEY_NO, LinkPurpose.VIEW]
    assert {(c.recipient_id, c.ticket_id) for c in claims} == {(org["customer"].id, ticket["id"])}
    assert "internal only" not in "".join(m.get_content() for m in mails)
    await outbox.deliver_due()
    assert len(mails_for(sink, ticket["id"])) == 3, "delivered once"


async def test_language_follows_the_reader(
    http: httpx.AsyncClient, engine: AsyncEngine, staff: Org, sink: MailSink, settings: Settings
) -> None:
    suffix = uuid.uuid4().hex[:6]
    async with engine.begin() as conn:
        org = await identities.create_org(conn, f"Loja {suffix}", f"loja-{suffix}")
        user = await identities.create_user(
            conn, org["id"], "Paula", f"paula-{suffix}@example.test", "customer", "pt-BR"
        )
        key, _ = await identities.issue_key(conn, user["id"])
    ticket = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"Nota fiscal {suffix}", "description": "x"},
            headers={"Authorization": f"Bearer {key}"},
        )
    ).json()
    outbox = MailOutbox(
        engine, MailSettings(smtp_port=sink.port), "http://127.0.0.1:8000", link_key(settings)
    )
    (ack,) = await deliver_until(outbox, sink, ticket["id"], 1)
    assert "chamado" in ack.get_content().lower()
    assert ack["To"] == f"paula-{suffix}@example.test"


async def test_smtp_down_postpones_then_delivers(
    http: httpx.AsyncClient, org: Org, engine: AsyncEngine, tmp_path: Path, settings: Settings
) -> None:
    port = free_port()
    mail = MailSettings(smtp_port=port, smtp_timeout_seconds=2)
    outbox = MailOutbox(engine, mail, "http://127.0.0.1:8000", link_key(settings))
    ticket = (
        await http.post(
            "/v1/tickets",
            json={"subject": f"Down {uuid.uuid4().hex}", "description": "x"},
            headers=org["customer"].headers,
        )
    ).json()
    for _ in range(50):
        assert await outbox.deliver_due() == 0
        async with engine.connect() as conn:
            found = await conn.execute(
                select(notifications.c.attempts).where(notifications.c.ticket_id == ticket["id"])
            )
            if found.scalar():
                break
        await asyncio.sleep(0.1)
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(notifications).where(notifications.c.ticket_id == ticket["id"])))
            .mappings()
            .one()
        )
    assert row["sent_at"] is None and row["attempts"] == 1 and row["next_attempt_at"] is not None
    async with engine.begin() as conn:  # pretend the backoff has passed
        await conn.execute(
            notifications.update()
            .where(notifications.c.ticket_id == ticket["id"])
            .values(next_attempt_at=None)
        )
    with MailSink(directory=tmp_path / "mail", port=port) as sink:
        await outbox.deliver_due()
        assert len(mails_for(sink, ticket["id"])) == 1
