"""Sending through activities/mailer.send to the real local sink (infra/mail_sink), and failures."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from domain.mail_threading import message_id, message_ids_in, parse_message, ticket_id_from_message_ids
from entrypoints.mail_sink import MailSink, eml_name
from integrations.mail import templates as t
from integrations.mail.smtp import (
    MailRejectedError,
    MailRetryableError,
    MailSettings,
    OutgoingMail,
    build_message,
    classify,
    send,
)
from tests.support.ports import free_port

DOMAIN = "escalator.localhost"
EML_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}-\d{6}\.eml$")


def _settings(port: int) -> MailSettings:
    return MailSettings(smtp_host="127.0.0.1", smtp_port=port, mail_domain=DOMAIN, smtp_timeout_seconds=5)


def _reply_mail(locale: str, seq: int) -> OutgoingMail:
    subject, body = t.agent_reply(locale, 1234, "Exportação parou", "Ana Agent", "Qual navegador?")
    return OutgoingMail(
        to=["carla@demo-customer.example"],
        cc=["otavio@demo-customer.example"],
        subject=subject,
        body=body,
        message_id=message_id(1234, seq, DOMAIN),
        in_reply_to=message_id(1234, 1, DOMAIN),
        references=[message_id(1234, 1, DOMAIN), message_id(1234, seq - 1, DOMAIN)],
        headers={"Reply-To": "support+1234@escalator.localhost"},
    )


async def test_send_delivers_headers_and_writes_eml(sink: MailSink) -> None:
    result = await send(_reply_mail("pt-BR", 5), _settings(sink.port))

    assert result.message_id == "<ticket-1234-5@escalator.localhost>" and result.refused == {}
    [received] = sink.messages
    assert received["X-RcptTo"] == "carla@demo-customer.example, otavio@demo-customer.example"
    assert received["X-MailFrom"] == "support@escalator.localhost"
    assert received["From"] == "Escalator Support <support@escalator.localhost>"
    assert (
        received["To"] == "carla@demo-customer.example" and received["Cc"] == "otavio@demo-customer.example"
    )
    assert received["Subject"] == "[#1234] Exportação parou"
    assert received["Message-ID"] == "<ticket-1234-5@escalator.localhost>"
    assert received["In-Reply-To"] == "<ticket-1234-1@escalator.localhost>"
    assert message_ids_in(received["References"]) == [
        message_id(1234, 1, DOMAIN),
        message_id(1234, 4, DOMAIN),
    ]
    assert received["Reply-To"] == "support+1234@escalator.localhost"
    assert ticket_id_from_message_ids(received["In-Reply-To"], received["References"], DOMAIN) == 1234
    assert "Ana Agent respondeu ao seu chamado #1234" in received.get_content()
    [path] = sink.files
    assert path.parent == sink.directory and EML_NAME.match(path.name)
    assert parse_message(path.read_bytes())["Subject"] == "[#1234] Exportação parou"


async def test_each_locale_reaches_the_sink_in_order(sink: MailSink) -> None:
    await send(_reply_mail("en", 5), _settings(sink.port))
    await send(_reply_mail("pt-BR", 6), _settings(sink.port))

    assert [m["Message-ID"] for m in sink.messages] == [
        message_id(1234, 5, DOMAIN),
        message_id(1234, 6, DOMAIN),
    ]
    assert "Ana Agent replied to your ticket #1234" in sink.messages[0].get_content()
    assert "Ana Agent respondeu ao seu chamado #1234" in sink.messages[1].get_content()
    files = sorted(sink.directory.glob("*.eml"))
    assert files == sink.files
    assert [parse_message(f.read_bytes())["Message-ID"] for f in files] == [
        m["Message-ID"] for m in sink.messages
    ]


def test_eml_names_sort_by_time() -> None:
    from datetime import UTC, datetime, timedelta

    first = datetime(2026, 11, 22, 15, 30, 12, 123456, tzinfo=UTC)
    names = [eml_name(first, 9), eml_name(first, 10), eml_name(first + timedelta(microseconds=1), 1)]
    assert names[0] == "20261122T153012.123456-000009.eml"
    assert sorted(names) == names


def test_build_message_threads_and_refuses_header_injection() -> None:
    settings = _settings(1)
    only_parent = build_message(
        OutgoingMail(to=["a@x.example"], subject="s", body="b", in_reply_to="<p@x>"), settings
    )
    assert only_parent["References"] == "<p@x>"
    assert str(only_parent["Message-ID"]).endswith("@escalator.localhost>")
    assert only_parent["Date"] is not None
    with pytest.raises(ValueError):
        build_message(
            OutgoingMail(to=["a@x.example"], subject="hi\r\nBcc: victim@x.example", body="b"), settings
        )
    replaced = build_message(
        OutgoingMail(to=["a@x.example"], subject="s", body="b", headers={"From": "Org <o@x>"}), settings
    )
    assert replaced.get_all("From") == ["Org <o@x>"]


def test_mail_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MailSettings().smtp_port == 1025 and MailSettings().smtp_starttls is False
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", "2526")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("MAIL_DOMAIN", "example.test")
    settings = MailSettings()
    assert (settings.smtp_port, settings.smtp_starttls, settings.mail_domain) == (2526, True, "example.test")
    assert "hunter2" not in repr(settings)


async def test_unreachable_server_is_retryable() -> None:
    with pytest.raises(MailRetryableError) as caught:
        await send(_reply_mail("en", 2), _settings(free_port()))
    assert caught.value.code is None


async def test_no_recipients_is_rejected() -> None:
    with pytest.raises(MailRejectedError):
        await send(OutgoingMail(to=[], subject="s", body="b"), _settings(free_port()))


class _PickyHandler:
    """Refuses some recipients permanently or temporarily, and can defer every message."""

    def __init__(self) -> None:
        self.data_reply = "250 OK"
        self.delivered: list[list[str]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if address.startswith("busy@"):
            return "452 4.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.delivered.append(list(envelope.rcpt_tos))
        return self.data_reply


@pytest.fixture
def picky() -> Iterator[tuple[_PickyHandler, int]]:
    handler = _PickyHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="picky.localhost")
    controller.start()
    yield handler, port
    controller.stop()


def _to(*addresses: str) -> OutgoingMail:
    return OutgoingMail(to=list(addresses), subject="[#1] s", body="b")


async def test_permanent_refusal_is_rejected(picky: tuple[_PickyHandler, int]) -> None:
    _, port = picky
    with pytest.raises(MailRejectedError) as caught:
        await send(_to("nobody@x.example"), _settings(port))
    assert caught.value.code == 550 and "no such user" in str(caught.value)


async def test_temporary_refusal_is_retryable(picky: tuple[_PickyHandler, int]) -> None:
    handler, port = picky
    with pytest.raises(MailRetryableError) as caught:
        await send(_to("busy@x.example", "nobody@x.example"), _settings(port))
    assert caught.value.code == 452
    handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(MailRetryableError) as deferred:
        await send(_to("ok@x.example"), _settings(port))
    assert deferred.value.code == 451
    handler.data_reply = "554 5.6.0 content rejected"
    with pytest.raises(MailRejectedError):
        await send(_to("ok@x.example"), _settings(port))
    assert handler.delivered == []


async def test_partly_refused_recipients_are_reported(picky: tuple[_PickyHandler, int]) -> None:
    handler, port = picky
    result = await send(_to("ok@x.example", "nobody@x.example"), _settings(port))
    assert handler.delivered == [["ok@x.example"]]
    assert result.refused == {"nobody@x.example": "550 5.1.1 no such user"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiosmtplib.SMTPServerDisconnected("gone"), MailRetryableError),
        (aiosmtplib.SMTPConnectTimeoutError("slow"), MailRetryableError),
        (aiosmtplib.SMTPResponseException(421, "closing"), MailRetryableError),
        (aiosmtplib.SMTPAuthenticationError(454, "temporary auth failure"), MailRetryableError),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), MailRejectedError),
        (aiosmtplib.SMTPSenderRefused(553, "not allowed", "a@x"), MailRejectedError),
        (aiosmtplib.SMTPNotSupported("STARTTLS"), MailRejectedError),
    ],
)
def test_classify(error: aiosmtplib.SMTPException, expected: type[Exception]) -> None:
    assert type(classify(error)) is expected


async def test_sink_runs_standalone(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entrypoints.mail_sink",
        "--port",
        str(port),
        "--dir",
        str(tmp_path / "out"),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        banner = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert f"127.0.0.1:{port}" in banner
        await send(_reply_mail("en", 3), _settings(port))
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert "[#1234]" in line
        [path] = (tmp_path / "out").glob("*.eml")
        assert parse_message(path.read_bytes())["Message-ID"] == message_id(1234, 3, DOMAIN)
    finally:
        if process.returncode is None:
            process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
