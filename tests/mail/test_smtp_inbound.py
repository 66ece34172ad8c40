"""Inbound mail over real SMTP to infra/smtp_inbound: parsing, the callback's decision, failures."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from domain.mail_threading import message_id
from integrations.mail.inbound_server import InboundDecision, InboundMail, InboundServer, InboundSettings
from integrations.mail.smtp import MailRejectedError, MailRetryableError, MailSettings, OutgoingMail, send
from tests.support.ports import free_port

DOMAIN = "escalator.localhost"
MAX_BYTES = 64 * 1024
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class Desk:
    """The callback's side: what it received and what it answers next."""

    received: list[InboundMail] = field(default_factory=list)
    decision: InboundDecision = field(default_factory=InboundDecision.accept)
    fail: bool = False

    async def __call__(self, mail: InboundMail) -> InboundDecision:
        if self.fail:
            raise RuntimeError("database down")
        self.received.append(mail)
        return self.decision


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Desk, int]]:
    callback = Desk()
    settings = InboundSettings(smtp_inbound_port=0, mail_domain=DOMAIN)
    async with InboundServer(callback, settings, max_bytes=MAX_BYTES) as server:
        assert server.host == "127.0.0.1" and server.port > 0
        yield callback, server.port


def _reply(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = '"Carla Cliente" <Carla@Demo-Customer.example>'
    message["To"] = "support@escalator.localhost"
    message["Subject"] = "RES: Exportação parou"
    message["Message-ID"] = "<CAF-123@mail.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


async def _submit(message: EmailMessage, port: int, sender: str = "carla@demo-customer.example") -> None:
    await aiosmtplib.send(
        message,
        hostname="127.0.0.1",
        port=port,
        sender=sender,
        recipients=["support@escalator.localhost"],
        start_tls=False,
        timeout=10,
    )


async def test_accepted_reply_reaches_the_callback_parsed(desk: tuple[Desk, int]) -> None:
    callback, port = desk
    message = _reply(
        In_Reply_To=message_id(1234, 5, DOMAIN),
        References=f"<CAF-100@mail.example> {message_id(1234, 5, DOMAIN)}",
    )
    message.set_content(
        "Firefox 128, em anexo o log.\n\nEm seg., 2 de jun. de 2025, Ana <ana@x.example> escreveu:\n> Qual navegador?\n"
    )
    message.add_alternative(
        "<p>Firefox 128, em anexo o log.</p><blockquote>Qual navegador?</blockquote>", subtype="html"
    )
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="export log.pdf")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="../../etc/tela.png")

    await _submit(message, port)

    [mail] = callback.received
    assert (mail.sender, mail.sender_name) == ("carla@demo-customer.example", "Carla Cliente")
    assert mail.mail_from == "carla@demo-customer.example" and mail.recipients == [
        "support@escalator.localhost"
    ]
    assert mail.subject == "RES: Exportação parou"
    assert mail.ticket_id == 1234
    assert mail.body == "Firefox 128, em anexo o log."
    assert "Qual navegador?" in mail.full_text
    assert mail.message_id == "<CAF-123@mail.example>"
    assert mail.in_reply_to == message_id(1234, 5, DOMAIN)
    assert mail.references == ["<CAF-100@mail.example>", message_id(1234, 5, DOMAIN)]
    assert [(a.filename, a.content_type, a.content) for a in mail.attachments] == [
        ("export log.pdf", "application/pdf", PDF),
        ("tela.png", "image/png", PNG),
    ]
    assert mail.is_automatic is False
    assert b"Exporta" in mail.raw or b"=?utf-8?" in mail.raw


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Subject": "ENC: RES: [#77] Exportação parou"}, 77),
        ({"Subject": "[#77] x", "In_Reply_To": "<ticket-78-2@escalator.localhost>"}, 78),
        ({"Subject": "Nova dúvida", "In_Reply_To": "<ticket-78-2@elsewhere.example>"}, None),
    ],
)
async def test_ticket_from_subject_or_our_message_ids(
    desk: tuple[Desk, int], headers: dict[str, str], expected: int | None
) -> None:
    callback, port = desk
    message = _reply()
    del message["Subject"]
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Oi")
    await _submit(message, port)
    assert callback.received[0].ticket_id == expected


async def test_html_only_forwarded_and_automatic_mail(desk: tuple[Desk, int]) -> None:
    callback, port = desk
    forwarded = EmailMessage()
    forwarded["Subject"] = "original"
    forwarded.set_content("old text")
    message = _reply(Auto_Submitted="auto-replied")
    message.set_content(
        "<div>Estou de férias.</div><blockquote><p>Qual navegador?</p></blockquote>", subtype="html"
    )
    message.add_attachment(forwarded)
    bounce = _reply()
    bounce.set_content("Delivery failed")

    await _submit(message, port)
    await _submit(bounce, port, sender="")

    mail, bounced = callback.received
    assert mail.body == "Estou de férias."
    assert mail.is_automatic is True and mail.mail_from == "carla@demo-customer.example"
    [attached] = mail.attachments
    assert (attached.filename, attached.content_type) == ("attachment-1.eml", "message/rfc822")
    assert b"old text" in attached.content
    assert bounced.is_automatic is True and bounced.mail_from == ""


async def test_rejection_reaches_the_sender(desk: tuple[Desk, int]) -> None:
    callback, port = desk
    callback.decision = InboundDecision.reject(550, "5.7.1 unknown sender")
    message = _reply()
    message.set_content("Oi")
    with pytest.raises(aiosmtplib.SMTPDataError) as caught:
        await _submit(message, port)
    assert caught.value.code == 550 and caught.value.message == "5.7.1 unknown sender"

    settings = MailSettings(smtp_port=port, mail_domain=DOMAIN, smtp_timeout_seconds=5)
    with pytest.raises(MailRejectedError) as rejected:
        await send(OutgoingMail(to=["support@escalator.localhost"], subject="x", body="y"), settings)
    assert rejected.value.code == 550


async def test_callback_failure_asks_the_sender_to_retry(desk: tuple[Desk, int]) -> None:
    callback, port = desk
    callback.fail = True
    message = _reply()
    message.set_content("Oi")
    with pytest.raises(aiosmtplib.SMTPDataError) as caught:
        await _submit(message, port)
    assert caught.value.code == 451 and "try again later" in caught.value.message

    settings = MailSettings(smtp_port=port, mail_domain=DOMAIN, smtp_timeout_seconds=5)
    with pytest.raises(MailRetryableError):
        await send(OutgoingMail(to=["support@escalator.localhost"], subject="x", body="y"), settings)
    callback.fail = False
    await _submit(message, port)
    assert len(callback.received) == 1


async def test_oversized_mail_is_refused_with_552(desk: tuple[Desk, int]) -> None:
    callback, port = desk
    message = _reply()
    message.set_content("Oi")
    message.add_attachment(
        b"x" * (MAX_BYTES + 1), maintype="application", subtype="octet-stream", filename="big.bin"
    )
    with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
        await _submit(message, port)
    assert caught.value.code == 552
    assert callback.received == []


async def test_server_stops_listening() -> None:
    server = await InboundServer(Desk(), InboundSettings(smtp_inbound_port=0)).start()
    port = server.port
    await server.stop()
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=2).connect()


def test_decisions_are_valid_smtp_replies() -> None:
    assert InboundDecision.accept().smtp_reply == "250 2.0.0 OK"
    assert InboundDecision.reject(550, "5.7.1 unknown sender").accepted is False
    with pytest.raises(ValueError):
        InboundDecision.reject(250, "not a rejection")
    with pytest.raises(ValueError):
        InboundDecision.reject(550, "two\r\nlines")
    with pytest.raises(ValueError):
        InboundDecision(999, "nonsense")


async def test_inbound_runs_standalone() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "integrations.mail.inbound_server",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert f"127.0.0.1:{port}" in banner
        message = _reply(In_Reply_To=message_id(9, 1, DOMAIN))
        message.set_content("Olá")
        await _submit(message, port)
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert "carla@demo-customer.example" in line and "ticket=9" in line
    finally:
        if process.returncode is None:
            process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
