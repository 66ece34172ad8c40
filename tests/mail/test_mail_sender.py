"""The sender is read strictly (domain/mail_sender), and over SMTP a spoofing From is flagged."""

from __future__ import annotations

import aiosmtplib
import pytest

from domain.mail_sender import Sender, sender_of
from integrations.mail.inbound_message import InboundMail
from integrations.mail.inbound_server import InboundDecision, InboundServer, InboundSettings


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ['"Carla Cliente" <Carla@Demo-Customer.example>'],
            Sender("carla@demo-customer.example", "Carla Cliente"),
        ),
        (["carla@x.example"], Sender("carla@x.example", "")),
        (["Carla <carla@x.example> (work)"], Sender("carla@x.example", "Carla")),
        (['"carla@x.example" <carla@x.example>'], Sender("carla@x.example", "carla@x.example")),
    ],
)
def test_one_plain_address_is_trusted(values: list[str], expected: Sender) -> None:
    assert sender_of(values) == expected


@pytest.mark.parametrize(
    ("values", "problem", "address"),
    [
        ([], "0 From headers", ""),
        (["a@x.example", "b@y.example"], "2 From headers", ""),
        (["victim@corp.example <attacker@evil.example>"], "malformed", ""),
        (['"victim@corp.example" <attacker@evil.example>'], "shows another address", "attacker@evil.example"),
        (
            ["=?utf-8?q?victim=40corp.example?= <attacker@evil.example>"],
            "shows another",
            "attacker@evil.example",
        ),
        (["a@x.example, b@y.example"], "names 2 addresses", ""),
        (["undisclosed-recipients:;"], "group", ""),
        (["team: a@x.example;"], "group", ""),
        (["carla"], "malformed", ""),
        (["Carla <carla@[192.0.2.1]>"], "not a mailbox at a domain", ""),
        (["Carla\x00 <c@x.example>"], "malformed", ""),
        (["Ana <ana@x.example"], "malformed", ""),
    ],
)
def test_anything_else_is_a_problem_not_a_guess(values: list[str], problem: str, address: str) -> None:
    sender = sender_of(values)
    assert sender.problem is not None and problem in sender.problem
    assert sender.address == address


async def test_spoofing_from_arrives_flagged_over_smtp() -> None:
    received: list[InboundMail] = []

    async def desk(mail: InboundMail) -> InboundDecision:
        received.append(mail)
        return InboundDecision.accept()

    async def submit(from_lines: bytes) -> None:
        data = from_lines + b"To: support@escalator.localhost\r\nSubject: hi\r\n\r\nhello\r\n"
        await aiosmtplib.send(
            data, hostname="127.0.0.1", port=port, sender="attacker@evil.example", recipients=["s@x.example"]
        )

    async with InboundServer(desk, InboundSettings(smtp_inbound_port=0)) as server:
        port = server.port
        await submit(b"From: victim@corp.example <attacker@evil.example>\r\n")
        await submit(b"From: victim@corp.example\r\nFrom: attacker@evil.example\r\n")
        await submit(b"From: Carla <carla@demo-customer.example>\r\n")
    spoofed, doubled, honest = received
    assert spoofed.sender == "" and spoofed.sender_problem and "malformed" in spoofed.sender_problem
    assert doubled.sender == "" and doubled.sender_problem == "2 From headers; exactly one is required"
    assert honest.sender == "carla@demo-customer.example" and honest.sender_problem is None
