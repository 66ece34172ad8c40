"""Sending e-mail over SMTP, with failures sorted into "try again" and "give up".

`send` does not retry by itself: a Temporal activity's retry policy does. `MailRetryableError`
(no connection, timeout, dropped session, any 4xx reply such as 421/450/451/452) may succeed later;
`MailRejectedError` (5xx: unknown mailbox, policy rejection, bad credentials, missing STARTTLS) will
fail the same way again. Temporal names a plain exception's failure type after its class, so
`RetryPolicy(non_retryable_error_types=["MailRejectedError"])` stops retries of the latter.

Messages get deterministic Message-IDs from domain/mail_threading when the caller passes one, so a
retried send after an ambiguous failure reaches the reader as the same message (clients dedupe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# RFC 3834: every mail we send is machine-sent, so auto-responders (vacation replies, other help
# desks) stay quiet. Notifications are "auto-generated"; a mail answering an incoming one (an
# acknowledgement) passes `headers={"Auto-Submitted": AUTO_REPLIED}`. Exchange reads the second header.
AUTO_GENERATED = "auto-generated"
AUTO_REPLIED = "auto-replied"
AUTOMATIC_HEADERS: Mapping[str, str] = {"Auto-Submitted": AUTO_GENERATED, "X-Auto-Response-Suppress": "All"}


class MailSettings(BaseSettings):
    """Where outgoing mail goes and whom it is from; the defaults reach the local sink of `make dev`."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Escalator Support <support@escalator.localhost>"
    mail_domain: str = "escalator.localhost"


@dataclass(kw_only=True)
class OutgoingMail:
    """One message to send; plain data, so it can be an activity's input."""

    to: list[str]
    cc: list[str] = field(default_factory=list)
    subject: str
    body: str
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    # Where the reader's reply goes: their own reply-token address (domain/reply_address.py), which
    # is what authenticates the reply when it comes back, not the From it will carry.
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def recipients(self) -> list[str]:
        """Every envelope recipient, each once, in order."""
        return list(dict.fromkeys([*self.to, *self.cc]))


@dataclass
class SendResult:
    """What the server accepted; `refused` lists recipients it turned down while accepting others."""

    message_id: str
    refused: dict[str, str] = field(default_factory=dict)


class MailError(Exception):
    """Base class of what `send` raises."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} (SMTP {self.code})" if self.code is not None else self.message


class MailRetryableError(MailError):
    """The server was unreachable or answered 4xx: the same message may go through later."""


class MailRejectedError(MailError):
    """The server refused the message permanently (5xx): sending it again will not help."""


def build_message(mail: OutgoingMail, settings: MailSettings | None = None) -> EmailMessage:
    """The RFC 5322 message for `mail`, with From, Date and a Message-ID (generated when not given).

    References default to In-Reply-To so a reply threads even when the caller knows only its parent.
    Every message carries `loop_headers` (a caller's own Auto-Submitted replaces ours: one value).
    Raises ValueError for header values containing line breaks (no header injection).
    """
    settings = settings or MailSettings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = mail.message_id or make_msgid(domain=settings.mail_domain)
    references = mail.references or ([mail.in_reply_to] if mail.in_reply_to else [])
    for name, value in loop_headers(settings).items():
        message[name] = value
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in mail.headers.items():
        del message[name]  # extra headers replace ours (e.g. a Reply-To or From per organisation)
        message[name] = value
    message.set_content(mail.body)
    return message


def loop_headers(settings: MailSettings) -> dict[str, str]:
    """Auto-Submitted, X-Auto-Response-Suppress and `X-Loop: <our address>`, which our inbound server
    (and many help desks) recognise when our own mail comes back."""
    return {**AUTOMATIC_HEADERS, "X-Loop": parseaddr(settings.mail_from)[1] or settings.mail_from}


async def send(mail: OutgoingMail, settings: MailSettings) -> SendResult:
    """Deliver `mail` to the configured SMTP server; raises MailRetryableError or MailRejectedError."""
    if not mail.recipients:
        raise MailRejectedError("no recipients")
    message = build_message(mail, settings)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        refused, _ = await aiosmtplib.send(
            message,
            recipients=mail.recipients,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    except aiosmtplib.SMTPException as exc:
        raise classify(exc) from exc
    except OSError as exc:
        raise MailRetryableError(f"cannot reach {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc
    return SendResult(
        str(message["Message-ID"]), {addr: f"{r.code} {r.message}" for addr, r in refused.items()}
    )


def classify(exc: aiosmtplib.SMTPException) -> MailError:
    """Map an aiosmtplib failure to retryable (no answer, 4xx) or rejected (5xx, unsupported)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        retryable = any(400 <= code < 500 for code in codes)
        kind = MailRetryableError if retryable else MailRejectedError
        return kind(f"all recipients refused: {detail}", min(codes, default=None))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 500 <= exc.code < 600:
            return MailRejectedError(f"SMTP server refused: {exc.message}", exc.code)
        return MailRetryableError(f"SMTP server deferred: {exc.message}", exc.code)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return MailRejectedError(f"SMTP server lacks a required feature: {exc}")
    return MailRetryableError(f"SMTP session failed: {exc}")
