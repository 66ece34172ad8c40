"""What an inbound message shows about who wrote it: the facts `domain.mail_admission` decides on.

Reads the parsed `InboundMail` and its raw headers. Where the inbound parser already gives a verdict
(`sender_problem`, `dmarc_pass`, `rate_limited` on `InboundMail`, from the hardened parser),
that verdict is used; otherwise the minimal checks here stand in (`domain.from_header`,
`domain.authentication_results`). Keeping every such read in this one file is what lets either side
be swapped without touching the decision.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses

from domain.authentication_results import trusted_dmarc_pass
from domain.from_header import sender_problem_of
from domain.mail_threading import parse_message
from domain.reply_address import parse_reply_address
from integrations.mail.inbound_server import InboundMail


def headers_of(mail: InboundMail) -> EmailMessage:
    """The raw message's headers (and body), parsed once per decision."""
    return parse_message(mail.raw)


def sender_problem(mail: InboundMail, message: EmailMessage) -> str | None:
    """The parser's verdict on `From` when it gives one, else the minimal check of the raw headers."""
    if hasattr(mail, "sender_problem"):
        verdict = mail.sender_problem
        return str(verdict) if verdict else None
    return sender_problem_of([str(value) for value in message.get_all("From", [])])


def over_limit(mail: InboundMail) -> bool:
    """The parser's per-sender limit flag, when it sets one."""
    return bool(getattr(mail, "rate_limited", False))


def dmarc_pass(mail: InboundMail, message: EmailMessage, authserv_id: str | None) -> bool:
    """A trusted relay's `dmarc=pass` for the sender's own domain."""
    if not authserv_id:
        return False
    # Read here with MAIL_TRUSTED_AUTHSERV_ID rather than taking `mail.dmarc_pass`, which the server
    # computes with its own (optional) SMTP_INBOUND_TRUSTED_AUTHSERV_ID: one setting decides trust.
    domain = mail.sender.rpartition("@")[2]
    values = [str(value) for value in message.get_all("Authentication-Results", [])]
    return trusted_dmarc_pass(values, authserv_id, domain)


def addresses_written_to(mail: InboundMail, message: EmailMessage) -> list[str]:
    """Envelope recipients, then every To and Cc address: where a reply token may be."""
    named = [
        address for _, address in getaddresses([str(v) for n in ("To", "Cc") for v in message.get_all(n, [])])
    ]
    return list(dict.fromkeys(a.lower() for a in [*mail.recipients, *named] if a))


def claimed_ticket(mail: InboundMail, addresses: list[str]) -> int | None:
    """The ticket the message says it is about: a token's (checked or not), else its subject or thread."""
    for address in addresses:
        token = parse_reply_address(address)
        if token is not None:
            return token.ticket_id
    return mail.ticket_id
