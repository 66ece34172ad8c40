"""Every mail the real outbox sends carries its reader's own reply-token address as Reply-To."""

from __future__ import annotations

from domain.reply_address import parse_reply_address, ticket_replied_to
from tests.mail.outbox_bed import DOMAIN, Bed


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
