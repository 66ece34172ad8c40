"""Inbound mail's attachment names are cleaned as the API cleans uploads (issue #15, 5): no path, no
control or bidirectional formatting characters (U+202E makes `gnp.exe` read as `exe.png`)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.attachment_names import clean_filename
from domain.attachment_types import AttachmentRejected
from tests.api.test_conversation_api import PNG
from tests.api.test_inbound_mail import emails_of, inbound, latest_ticket, message, send
from tests.support.identities import Org

__all__ = ["inbound"]  # the SMTP server fixture, shared with test_inbound_mail

HOSTILE = "..\\mail/in\u202egnp.exe\u200b.png"  # a path, an RTL override, a zero-width space


async def test_inbound_attachment_names_are_cleaned(
    http: httpx.AsyncClient, org: Org, staff: Org, engine: AsyncEngine, inbound: int
) -> None:
    sender = await emails_of(engine, org, "customer")
    subject = f"Screenshot attached {uuid.uuid4().hex[:6]}"
    await send(inbound, message(sender, subject, "See the screenshot.", (HOSTILE, PNG)))
    ticket = await latest_ticket(http, org["customer"], subject)
    detail = (await http.get(f"/v1/tickets/{ticket['id']}", headers=staff["agent"].headers)).json()
    assert [a["filename"] for a in detail["attachments"]] == ["ingnp.exe.png"]


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
