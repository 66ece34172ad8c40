"""Every mail the real outbox sends carries its reader's own reply-token address as Reply-To."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.reply_address import parse_reply_address, ticket_replied_to
from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from tests.mail.outbox_bed import DOMAIN, Bed, make_bed
from tests.support.ports import free_port


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path / "mail", port=free_port()) as running:
        yield running


@pytest_asyncio.fixture
async def bed(engine: AsyncEngine, sink: MailSink, settings: Settings) -> AsyncIterator[Bed]:
    yield await make_bed(engine, sink, link_key(settings))


async def test_each_reader_gets_a_token_only_they_can_use(bed: Bed) -> None:
    reply = {"author": "agent", "internal": False, "body": "Olhando.", "actor_id": bed.other_agent.id}
    await bed.queue("reply_added", 2, reply)
    await bed.queue(
        "reply_added",
        3,
        {"author": "customer", "internal": False, "body": "Oi", "actor_id": bed.requester.id},
    )
    mails = {str(m["To"]): str(m["Reply-To"]) for m in await bed.deliver()}
    people = (bed.requester, bed.cc, bed.agent)
    assert set(mails) == {p.email for p in people}
    for person in people:
        address = mails[person.email]
        token = parse_reply_address(address, DOMAIN)
        assert token is not None and token.ticket_id == bed.ticket_id and address.startswith("support+t")
        assert ticket_replied_to(bed.key, [address], person.id) == bed.ticket_id
        others = [p for p in people if p is not person]
        assert all(ticket_replied_to(bed.key, [address], p.id) is None for p in others)
