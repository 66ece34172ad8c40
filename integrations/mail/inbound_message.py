"""One inbound message, parsed into what a ticket needs: `InboundMail`, and `parse_inbound` to build it.

Parsing is hostile-input work: the message is checked against `MailLimits` first (a message outside
them raises `MailRefused`), the sender is read strictly (`domain.mail_sender`), and the verdicts a
callback acts on are computed here, once: `sender_problem` (no single trustworthy From address),
`automatic` (why the mail is machine-sent), `dmarc_pass` (the trusted relay's verdict). The server
adds `rate_limited`. Imports only the stdlib and `domain`, so a parsing worker process starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from mimetypes import guess_extension
from pathlib import PurePosixPath

from domain.authentication_results import dmarc_pass
from domain.automatic_mail import automatic_reason
from domain.mail_sender import sender_of
from domain.mail_threading import (
    message_ids_in,
    plain_text_of,
    strip_quoted_reply,
    ticket_id_from_message_ids,
    ticket_id_from_subject,
)
from integrations.mail.inbound_limits import (
    MailLimits,
    MailRefused,
    bounded_policy,
    check_raw,
    check_tree,
    raw_values,
)


@dataclass(frozen=True)
class InboundAttachment:
    """One attached file as sent; its type is what the sender claims (check the content yourself)."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMail:
    """One received message, parsed. `body` is the new text only; `full_text` and `raw` keep the rest.

    `sender` is the single strictly parsed From address, or "" when `sender_problem` says why there is
    none. `automatic` says why the mail is machine-sent (None for a person's mail); `rate_limited`
    that its sender went over the per-sender limit. `dmarc_pass`: the configured trusted relay found
    DMARC passing for the sender's domain (always False when no relay is configured).
    """

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
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: bytes = b""
    sender_problem: str | None = None
    automatic: str | None = None
    rate_limited: bool = False
    dmarc_pass: bool = False

    @property
    def is_automatic(self) -> bool:
        """Bounces, vacation replies, list mail: answering them by mail would start a loop."""
        return self.automatic is not None


def parse_inbound(
    data: bytes,
    mail_from: str,
    recipients: list[str],
    domain: str,
    limits: MailLimits | None = None,
    trusted_authserv_id: str | None = None,
) -> InboundMail:
    """Everything a ticket needs from one raw message; `domain` recognises our own Message-IDs.

    Raises `MailRefused` when the message is outside `limits` (answer it with `smtp_reply`).
    """
    limits = limits or MailLimits()
    message = parse_bounded(data, limits)
    sender = sender_of(raw_values(message, "From", limits))
    subject = str(message.get("Subject", "") or "")
    in_reply_to = next(iter(message_ids_in(str(message.get("In-Reply-To", "")))), None)
    references = message_ids_in(str(message.get("References", "")))
    ticket_id = ticket_id_from_message_ids(in_reply_to, references, domain)
    full_text = plain_text_of(message)
    return InboundMail(
        mail_from=mail_from,
        recipients=recipients,
        sender=sender.address,
        sender_name=sender.name,
        subject=" ".join(subject.split()),
        ticket_id=ticket_id if ticket_id is not None else ticket_id_from_subject(subject),
        body=strip_quoted_reply(full_text),
        full_text=full_text,
        message_id=next(iter(message_ids_in(str(message.get("Message-ID", "")))), None),
        in_reply_to=in_reply_to,
        references=references,
        attachments=attachments_of(message),
        raw=data,
        sender_problem=sender.problem,
        automatic=automatic_reason(((k, str(v)) for k, v in message.raw_items()), mail_from, domain),
        dmarc_pass=_dmarc_pass(message, sender.address, trusted_authserv_id, limits),
    )


def parse_bounded(data: bytes, limits: MailLimits) -> EmailMessage:
    """The message as an `EmailMessage`, or `MailRefused` if its shape is outside `limits`."""
    check_raw(data, limits)
    try:
        message = BytesParser(policy=bounded_policy(limits)).parsebytes(data)
    except RecursionError as exc:
        raise MailRefused("MIME structure nested too deeply") from exc
    assert isinstance(message, EmailMessage)  # the policy's message factory
    check_tree(message, limits)
    return message


def _dmarc_pass(message: EmailMessage, sender: str, authserv_id: str | None, limits: MailLimits) -> bool:
    if not authserv_id or not sender:
        return False
    return dmarc_pass(raw_values(message, "Authentication-Results", limits), authserv_id, sender)


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
