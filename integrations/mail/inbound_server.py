"""Inbound e-mail over SMTP: customers answer tickets (and open new ones) by replying to our mail.

The server parses each message into an `InboundMail` (sender, subject, ticket number found in our
Message-IDs or the `[#1234]` subject tag, the new text without quoted history, attachments) and
awaits a callback supplied by the caller, which decides. Its `InboundDecision` becomes the SMTP
reply, so a refused sender gets a real bounce ("550 5.7.1 unknown sender") instead of silence. If the
callback fails, the reply is "451 4.3.0 try again later": the sending server keeps the message and
retries, so nothing is lost. Messages over the size limit are refused with 552 while they arrive.

Parsing happens in worker processes with a time limit (`parse_workers`), never on the event loop, and
within `MailLimits`: a message outside them gets a permanent "554 5.6.0" (resending cannot help); one
not parsed in time gets "451 4.3.0" (maybe we were just busy: a real sender retries, a hostile one
costs us one time limit per retry). Every mail counts against its sender's hourly limit; over it the
mail is still handed to the callback, flagged `rate_limited`, so a loop ends without a bounce storm.

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
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.automatic_mail import AUTOMATIC_PRECEDENCE
from infra.log import configure_logging, get_logger
from infra.settings import Settings
from integrations.mail.inbound_limits import MailLimits, MailRefused
from integrations.mail.inbound_message import InboundAttachment, InboundMail, parse_inbound
from integrations.mail.parse_workers import ParseConfig, ParseFailed, ParseTimeout, ParseWorkers
from integrations.mail.sender_limit import SenderLimit

__all__ = [
    "AUTOMATIC_PRECEDENCE",
    "InboundAttachment",
    "InboundDecision",
    "InboundMail",
    "InboundServer",
    "InboundSettings",
    "parse_inbound",
]

log = get_logger(__name__)

TRY_AGAIN = "451 4.3.0 try again later"
PARSE_TIMEOUT = "451 4.3.0 message took too long to read; try again later"
_REPLY_CODE = re.compile(r"^[2-5]\d\d$")


class InboundSettings(BaseSettings):
    """Where the inbound server listens and which Message-IDs are ours."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    smtp_inbound_host: str = "127.0.0.1"
    smtp_inbound_port: int = 2525
    smtp_inbound_max_bytes: int = 5 * 1024 * 1024  # 5 attachments of 500 KB, base64, and the text
    smtp_inbound_parse_workers: int = 2
    smtp_inbound_parse_timeout_seconds: float = 5.0
    smtp_inbound_sender_limit: int = 20  # mails per sender per window; over it they are flagged
    smtp_inbound_sender_window_seconds: float = 3600.0
    smtp_inbound_trusted_authserv_id: str | None = None  # our relay's Authentication-Results id
    mail_domain: str = "escalator.localhost"


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


class InboundHandler:
    """aiosmtpd handler: parse off the loop, flag floods, ask the callback, answer with its decision."""

    def __init__(self, callback: InboundCallback, workers: ParseWorkers, senders: SenderLimit) -> None:
        self._callback = callback
        self._workers = workers
        self._senders = senders

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogateescape")
        mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from  # "<>": a bounce
        context = {"peer": str(session.peer), "size": len(data), "mail_from": mail_from}
        try:
            mail = await self._workers.parse(data, mail_from, list(envelope.rcpt_tos))
        except MailRefused as exc:
            log.warning("inbound mail refused", reason=str(exc), **context)
            return exc.smtp_reply
        except ParseTimeout:
            log.warning("inbound mail not parsed in time; asked the sender to retry", **context)
            return PARSE_TIMEOUT
        except ParseFailed:
            log.exception("inbound mail not parsed; asked the sender to retry", **context)
            return TRY_AGAIN
        mail.raw = data
        mail.rate_limited = self._senders.record(mail.sender or mail_from)
        return await self._decide(mail, context)

    async def _decide(self, mail: InboundMail, context: dict[str, object]) -> str:
        try:
            decision = await self._callback(mail)
        except Exception:
            log.exception("inbound mail not taken; asked the sender to retry", **context)
            return TRY_AGAIN
        log.info(
            "inbound mail",
            sender=mail.sender,
            ticket_id=mail.ticket_id,
            message_id=mail.message_id,
            sender_problem=mail.sender_problem,
            automatic=mail.automatic,
            rate_limited=mail.rate_limited,
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
        limits: MailLimits | None = None,
    ) -> None:
        self.settings = settings or InboundSettings()
        self.host = self.settings.smtp_inbound_host
        self.port = self.settings.smtp_inbound_port if port is None else port
        self.max_bytes = self.settings.smtp_inbound_max_bytes if max_bytes is None else max_bytes
        self.limits = limits or MailLimits()
        self._workers = ParseWorkers(
            ParseConfig(
                self.settings.mail_domain, self.limits, self.settings.smtp_inbound_trusted_authserv_id
            ),
            self.settings.smtp_inbound_parse_workers,
            self.settings.smtp_inbound_parse_timeout_seconds,
        )
        senders = SenderLimit(
            self.settings.smtp_inbound_sender_limit, self.settings.smtp_inbound_sender_window_seconds
        )
        self._handler = InboundHandler(callback, self._workers, senders)
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
        await self._workers.start()
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
        await self._workers.stop()

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
