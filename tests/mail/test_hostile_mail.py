"""Hostile mails against a real inbound server on 127.0.0.1: each refused (554) or parsed correctly,
and a 1 MB blank-line flood does not keep the server from another client's mail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import aiosmtplib
import pytest

from integrations.mail.inbound_limits import MailLimits
from integrations.mail.inbound_message import InboundMail
from integrations.mail.inbound_server import InboundDecision, InboundServer, InboundSettings
from integrations.mail.parse_workers import ParseConfig, ParseTimeout, ParseWorkers
from tests.mail.hostile_corpus import SENDER, Hostile, hostile_mails

DOMAIN = "escalator.localhost"
CASES = hostile_mails()


@dataclass
class Desk:
    """Records each mail; a mail whose subject is in `hold` waits until `release` is set."""

    received: list[InboundMail] = field(default_factory=list)
    hold: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        self.received.append(mail)
        if self.hold and self.hold in mail.subject:
            await self.release.wait()
        else:
            self.release.set()
        return InboundDecision.accept()


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Desk, int]]:
    callback = Desk()
    settings = InboundSettings(smtp_inbound_port=0, mail_domain=DOMAIN, smtp_inbound_sender_limit=1000)
    async with InboundServer(callback, settings) as server:
        yield callback, server.port


async def _submit(data: bytes, port: int) -> tuple[int, str]:
    """Send raw bytes; the server's answer to DATA."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60)
    async with client:
        await client.ehlo()
        await client.mail(SENDER)
        await client.rcpt("support@escalator.localhost")
        try:
            reply = await client.data(data)
        except aiosmtplib.SMTPDataError as exc:
            return exc.code, exc.message
        return reply.code, reply.message


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hostile_mail_is_refused_or_parsed(desk: tuple[Desk, int], case: Hostile) -> None:
    callback, port = desk
    code, message = await _submit(case.data, port)
    if case.long_lines:
        assert code == 500 and "Line too long" in message, (code, message)
        assert callback.received == []
    elif case.refused:
        assert code == 554 and message.startswith("5.6.0 message refused"), (code, message)
        assert callback.received == []
    else:
        assert code == 250, (code, message)
        [mail] = callback.received
        assert mail.sender == SENDER and case.check(mail), mail.body[:200]


async def test_normal_mail_is_answered_while_a_flood_is_handled(desk: tuple[Desk, int]) -> None:
    """The flood's callback waits until the other client's mail has reached the callback: if either the
    parse or the callback held the event loop (or the only worker), this would never finish."""
    callback, port = desk
    [flood] = [case for case in CASES if case.name == "1 MB blank-line flood"]
    callback.hold = "flood"
    answered: list[str] = []

    async def send_flood() -> None:
        code, _ = await _submit(flood.data.replace(b"Subject: x", b"Subject: flood"), port)
        answered.append(f"flood {code}")

    async def send_normal() -> None:
        message = EmailMessage()
        message["From"], message["Subject"] = SENDER, "normal"
        message.set_content("Oi")
        code, _ = await _submit(message.as_bytes(), port)
        answered.append(f"normal {code}")

    flooding = asyncio.create_task(send_flood())
    while not callback.received:  # the flood has been parsed and is in the callback
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(send_normal(), flooding), 60)
    assert answered == ["normal 250", "flood 250"]
    assert [mail.subject for mail in callback.received] == ["flood", "normal"]


async def test_an_overrunning_parse_kills_its_worker_and_the_next_mail_is_parsed() -> None:
    """A parse over the time limit answers ParseTimeout and its process is replaced, not reused."""
    [flood] = [case for case in CASES if case.name == "1 MB blank-line flood"]
    workers = ParseWorkers(ParseConfig(DOMAIN, MailLimits()), count=1, timeout=0.001)
    await workers.start()
    try:
        [before] = [worker.process.pid for worker in workers._all]
        with pytest.raises(ParseTimeout):
            await workers.parse(flood.data * 4, SENDER, [])
        [after] = [worker.process for worker in workers._all]
        assert after.pid != before and after.is_alive()
        workers._timeout = 60
        mail = await workers.parse(flood.data, SENDER, [])
        assert mail.body == "Hi"
    finally:
        await workers.stop()


async def test_timeout_answers_451_so_the_sender_retries() -> None:
    [flood] = [case for case in CASES if case.name == "1 MB blank-line flood"]
    callback = Desk()
    settings = InboundSettings(
        smtp_inbound_port=0, mail_domain=DOMAIN, smtp_inbound_parse_timeout_seconds=0.001
    )
    async with InboundServer(callback, settings, max_bytes=8 * 1024 * 1024) as server:
        code, message = await _submit(flood.data * 4, server.port)
    assert code == 451 and "try again later" in message
    assert callback.received == []
