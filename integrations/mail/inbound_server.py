"""Inbound e-mail over SMTP: customers answer tickets (and open new ones) by replying to our mail.

The server parses each message into an `InboundMail` (sender, subject, ticket number found in our
Message-IDs or the `[#1234]` subject tag, the new text without quoted history, attachments) and
awaits a callback supplied by the caller, which decides. Its `InboundDecision` becomes the SMTP
reply, so a refused sender gets a real bounce ("550 5.7.1 unknown sender") instead of silence. If the
callback fails, the reply is "451 4.3.0 try again later": the sending server keeps the message and
retries, so nothing is lost. Messages over the size limit are refused with 552 while they arrive.

The server runs on the caller's event loop (`async with InboundServer(...)`), so the callback may use
the loop's Temporal client and database engine. Standalone, accepting and printing everything:

    python -m integrations.mail.inbound_server --port 2525

The ticket number says which ticket a message claims to belong to, not that the sender may write to
it: the callback must check the sender against the ticket's participants.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from email.utils import parseaddr
from mimetypes import guess_extension
from pathlib import PurePosixPath
from types import TracebackType
from typing import Self

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.mail_threading import (
    message_ids_in,
    parse_message,
    plain_text_of,
    strip_quoted_reply,
    ticket_id_from_message_ids,
    ticket_id_from_subject,
)
from infra.log import configure_logging, get_logger
from infra.settings import Settings

log = get_logger(__name__)

TRY_AGAIN = "451 4.3.0 try again later"
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_REPLY_CODE = re.compile(r"^[2-5]\d\d$")


class InboundSettings(BaseSettings):
    """Where the inbound server listens and which Message-IDs are ours."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    smtp_inbound_host: str = "127.0.0.1"
    smtp_inbound_port: int = 2525
    smtp_inbound_max_bytes: int = 10 * 1024 * 1024
    mail_domain: str = "escalator.localhost"


@dataclass(frozen=True)
class InboundAttachment:
    """One attached file as sent; its type is what the sender claims (check the content yourself)."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMail:
    """One received message, parsed. `body` is the new text only; `full_text` and `raw` keep the rest."""

    mail_from: str
    recipients: list[str]
    sender: str
    sender_name: str
    subject: str
    ticket_id: int | None
    body: str
    full_text: str
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    attachments: list[InboundAttachment] = field(default_factory=list)
    is_automatic: bool = False
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: bytes = b""


@dataclass(frozen=True)
class InboundDecision:
    """The callback's verdict, sent back as the SMTP reply to the end of DATA."""

    code: int = 250
    reason: str = "2.0.0 OK"

    def __post_init__(self) -> None:
        if not _REPLY_CODE.match(str(self.code)) or "\r" in self.reason or "\n" in self.reason:
            raise ValueError(f"not a one-line SMTP reply: {self.code} {self.reason!r}")

    @classmethod
    def accept(cls, reason: str = "2.0.0 OK") -> InboundDecision:
        """Take the message: the sender's server forgets it."""
        return cls(250, reason)

    @classmethod
    def reject(cls, code: int, reason: str) -> InboundDecision:
        """Refuse it: 5xx bounces to the sender (e.g. 550 "5.7.1 unknown sender"), 4xx makes it retry."""
        if not 400 <= code < 600:
            raise ValueError(f"a rejection needs a 4xx or 5xx code, not {code}")
        return cls(code, reason)

    @property
    def accepted(self) -> bool:
        return self.code < 400

    @property
    def smtp_reply(self) -> str:
        return f"{self.code} {self.reason}"


InboundCallback = Callable[[InboundMail], Awaitable[InboundDecision]]


def parse_inbound(data: bytes, mail_from: str, recipients: list[str], domain: str) -> InboundMail:
    """Everything a ticket needs from one raw message; `domain` recognises our own Message-IDs."""
    message = parse_message(data)
    name, address = parseaddr(str(message.get("From", "")))
    subject = str(message.get("Subject", "") or "")
    in_reply_to = next(iter(message_ids_in(str(message.get("In-Reply-To", "")))), None)
    references = message_ids_in(str(message.get("References", "")))
    ticket_id = ticket_id_from_message_ids(in_reply_to, references, domain)
    full_text = plain_text_of(message)
    return InboundMail(
        mail_from=mail_from,
        recipients=recipients,
        sender=(address or mail_from).lower(),
        sender_name=name,
        subject=" ".join(subject.split()),
        ticket_id=ticket_id if ticket_id is not None else ticket_id_from_subject(subject),
        body=strip_quoted_reply(full_text),
        full_text=full_text,
        message_id=next(iter(message_ids_in(str(message.get("Message-ID", "")))), None),
        in_reply_to=in_reply_to,
        references=references,
        attachments=attachments_of(message),
        is_automatic=is_automatic(message, mail_from),
        raw=data,
    )


def is_automatic(message: EmailMessage, mail_from: str) -> bool:
    """Bounces, vacation replies and list mail: answering them by mail would start a loop."""
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        not mail_from
        or auto_submitted != "no"
        or precedence in AUTOMATIC_PRECEDENCE
        or any(name in message for name in ("X-Autoreply", "X-Autorespond"))
    )


def attachments_of(message: EmailMessage) -> list[InboundAttachment]:
    """Every part that is not the body: attached and inline files, forwarded messages as .eml."""
    body = message.get_body(preferencelist=("plain", "html"))
    found: list[InboundAttachment] = []
    _collect(message, body, found)
    return found


def _collect(part: MIMEPart, body: MIMEPart | None, found: list[InboundAttachment]) -> None:
    if part is body:
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload(0)
        content = inner.as_bytes() if isinstance(inner, MIMEPart) else b""
        found.append(InboundAttachment(_filename(part, len(found)), content_type, content))
        return
    if part.is_multipart():
        for sub in part.iter_parts():
            _collect(sub, body, found)
        return
    is_file = part.get_filename() is not None or part.get_content_disposition() == "attachment"
    if not is_file and part.get_content_maintype() == "text":
        return  # the other alternative of the body (e.g. the HTML twin of the plain text)
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    found.append(InboundAttachment(_filename(part, len(found)), content_type, content))


def _filename(part: MIMEPart, index: int) -> str:
    """The sender's file name without any directories; a made-up one when there is none."""
    name = PurePosixPath((part.get_filename() or "").replace("\\", "/")).name.strip()
    if name and name not in (".", ".."):
        return name
    content_type = part.get_content_type()
    extension = ".eml" if content_type == "message/rfc822" else guess_extension(content_type) or ".bin"
    return f"attachment-{index + 1}{extension}"


class InboundHandler:
    """aiosmtpd handler: parse, ask the callback, answer with its decision (or 451 if it failed)."""

    def __init__(self, callback: InboundCallback, domain: str) -> None:
        self._callback = callback
        self._domain = domain

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        peer = session.peer
        try:
            mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from  # "<>": a bounce
            mail = parse_inbound(data, mail_from, list(envelope.rcpt_tos), self._domain)
            decision = await self._callback(mail)
        except Exception:
            log.exception("inbound mail not taken; asked the sender to retry", peer=str(peer), size=len(data))
            return TRY_AGAIN
        log.info(
            "inbound mail",
            sender=mail.sender,
            ticket_id=mail.ticket_id,
            message_id=mail.message_id,
            reply=decision.smtp_reply,
        )
        return decision.smtp_reply


class InboundServer:
    """The inbound SMTP server on the current event loop; `async with` starts and stops it."""

    def __init__(
        self,
        callback: InboundCallback,
        settings: InboundSettings | None = None,
        *,
        port: int | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.settings = settings or InboundSettings()
        self.host = self.settings.smtp_inbound_host
        self.port = self.settings.smtp_inbound_port if port is None else port
        self.max_bytes = self.settings.smtp_inbound_max_bytes if max_bytes is None else max_bytes
        self._handler = InboundHandler(callback, self.settings.mail_domain)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def _session(self) -> SMTP:
        session = SMTP(
            self._handler,
            data_size_limit=self.max_bytes,
            enable_SMTPUTF8=True,
            hostname=self.settings.mail_domain,  # without one aiosmtpd asks DNS for our own name
        )
        self._sessions.add(session)
        return session

    async def start(self) -> Self:
        """Listen; returns once connections are accepted. Port 0 picks a free one (see `port`)."""
        self._server = await asyncio.get_running_loop().create_server(self._session, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Stop listening and drop sessions still open (their senders will retry)."""
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        self._sessions.clear()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()


async def _print_and_accept(mail: InboundMail) -> InboundDecision:
    attachments = [(a.filename, a.content_type, len(a.content)) for a in mail.attachments]
    print(f"from {mail.sender} ticket={mail.ticket_id} subject={mail.subject!r} attachments={attachments}")
    print(mail.body or "(no new text)", flush=True)
    return InboundDecision.accept()


async def _serve(port: int | None) -> None:
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    async with InboundServer(_print_and_accept, port=port) as server:
        print(f"inbound SMTP on smtp://{server.host}:{server.port} (accepting everything)", flush=True)
        await stopping.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the inbound server alone, accepting and printing every message (for trying it out)."""
    parser = argparse.ArgumentParser(
        prog="python -m integrations.mail.inbound_server", description=main.__doc__
    )
    parser.add_argument("--port", type=int, default=None, help="default SMTP_INBOUND_PORT or 2525")
    args = parser.parse_args(argv)
    configure_logging(Settings())
    asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
