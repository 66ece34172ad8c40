"""Inbound mail's attachment names are cleaned as the API cleans uploads (issue #15, 5): no path, no
control or bidirectional formatting characters (U+202E makes `gnp.exe` read as `exe.png`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.attachment_names import clean_filename
from domain.attachment_types import AttachmentRejected
from infra.settings import Settings
from store.attachment_tables import attachments
from tests.api.inbound_bed import dmarc_pass, email_of, inbound, message, send, token_address
from tests.api.test_conversation_api import PNG
from tests.api.test_inbound_mail import latest_ticket
from tests.support.identities import Org

__all__ = ["inbound"]  # the SMTP server fixture, shared with test_inbound_mail

HOSTILE = "..\\mail/in\u202egnp.exe\u200b.png"  # a path, an RTL override, a zero-width space


async def test_inbound_attachment_names_are_cleaned(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    sender = await email_of(engine, org, "customer")
    subject = f"Screenshot attached {uuid.uuid4().hex[:6]}"
    mail = message(
        sender, subject, "See the screenshot.", attachment=(HOSTILE, PNG), headers=dmarc_pass(sender)
    )
    await send(inbound, mail)
    ticket = await latest_ticket(http, org["customer"], subject)
    detail = (await http.get(f"/v1/tickets/{ticket['id']}", headers=staff["agent"].headers)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["ingnp.exe.png"]


async def test_no_file_is_kept_before_the_ticket_is_known(
    http: httpx.AsyncClient, org: Org, other_org: Org, engine: AsyncEngine, settings: Settings, inbound: int
) -> None:
    """A reply naming a ticket its sender cannot see stores none of its files (it waits, held)."""
    created = await http.post(
        "/v1/tickets",
        json={"subject": "Not yours", "description": "x"},
        headers=other_org["customer"].headers,
    )
    foreign = created.json()["id"]
    sender = await email_of(engine, org, "customer")
    to = token_address(settings, foreign, org["customer"].id)  # a genuine token, for a ticket out of sight
    async with engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(attachments))).scalar_one()
    await send(inbound, message(sender, f"Re: [#{foreign}]", "mine?", to=to, attachment=("shot.png", PNG)))
    async with engine.connect() as conn:
        uploaded = (
            select(func.count())
            .select_from(attachments)
            .where(attachments.c.uploader_id == org["customer"].id)
        )
        assert (await conn.execute(uploaded)).scalar_one() == 0, before


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (HOSTILE, "ingnp.exe.png"),
        ("C:\\Users\\carla\\report.pdf", "report.pdf"),
        ("a\tb\x00c.txt", "abc.txt"),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_the_shared_cleaning(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize("raw", [None, "", "dir/", "\u202e\u200b"])
def test_a_name_that_cleans_to_nothing_is_refused(raw: str | None) -> None:
    with pytest.raises(AttachmentRejected):
        clean_filename(raw)
