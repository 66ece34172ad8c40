"""What a renderer gets (one outbox row and what it needs to read) and what it gives back.

A renderer turns one notification into mails, one per reader, or says in words why it owes none:
`Composed` cannot be empty without a reason, so the outbox never marks a row "sent" for nothing.
Each mail's Reply-To is its reader's reply-token address on the ticket (domain/reply_address.py):
a reply is authenticated by that address, never by its From or subject.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.mail_threading import TICKET_SOURCE, message_id
from domain.reply_address import reply_address
from domain.signed_links import LinkPurpose
from integrations.mail.links import LinkMaker
from integrations.mail.readers import Reader
from integrations.mail.smtp import MailSettings, OutgoingMail
from integrations.mail.templates import KbSuggestion
from store.tables import escalations

TICKET = "ticket"
ESCALATION = "escalation"
Rendered = tuple[str, str]


@dataclass(frozen=True)
class Notification:
    """One outbox row: `source` is "ticket" or the escalation's id, `kind` the event type."""

    ticket_id: int
    source: str
    seq: int
    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def entity(self) -> str:
        """Whose event this is; the renderers' table is keyed by (entity, kind)."""
        return TICKET if self.source == TICKET_SOURCE else ESCALATION


@dataclass(frozen=True)
class Composed:
    """The mails a notification owes, or none and the reason (kept on the outbox row)."""

    mails: list[OutgoingMail]
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.mails and not self.reason:
            raise ValueError("a notification that sends nothing must say why")


def nothing(reason: str) -> Composed:
    return Composed([], reason)


@dataclass
class Occasion:
    """Everything a renderer may use: the row, the ticket's snapshot, the database, links, settings."""

    conn: AsyncConnection
    settings: MailSettings
    links: LinkMaker
    note: Notification
    ticket: dict[str, Any]
    suggestions: list[KbSuggestion] = field(default_factory=list)

    @property
    def ticket_id(self) -> int:
        return self.note.ticket_id

    @property
    def subject(self) -> str:
        return str(self.ticket["subject"])

    def link(self, reader: Reader, purpose: LinkPurpose) -> str:
        """A one-click link signed for this reader and this ticket."""
        return self.links.url(reader.id, self.ticket_id, purpose)

    def view_url(self, reader: Reader) -> str:
        return self.link(reader, LinkPurpose.VIEW)

    async def escalation(self) -> dict[str, Any] | None:
        """The escalation's read-model row (stage, ETA) when the notification is an escalation's."""
        if self.note.entity != ESCALATION:
            return None
        row = await self.conn.execute(select(escalations).where(escalations.c.id == self.note.source))
        found = row.mappings().first()
        return dict(found) if found else None

    def mails(
        self, readers: list[Reader], render: Callable[[Reader], Rendered], variant: str, nobody: str
    ) -> Composed:
        """One mail per reader, each in the ticket's thread; `nobody` explains an empty reader list."""
        if not readers:
            return nothing(nobody)
        return Composed(
            [self._mail(r, render(r), variant if i == 0 else f"{variant}{i}") for i, r in enumerate(readers)]
        )

    def _mail(self, reader: Reader, rendered: Rendered, variant: str) -> OutgoingMail:
        domain = self.settings.mail_domain
        root = message_id(self.ticket_id, 1, domain)
        own = message_id(self.ticket_id, self.note.seq, domain, variant, source=self.note.source)
        return OutgoingMail(
            to=[reader.email],
            subject=rendered[0],
            body=rendered[1],
            message_id=own,
            in_reply_to=root,
            references=[root],
            reply_to=self.reply_address(reader),
            headers={"Auto-Submitted": "auto-generated"},
        )

    def reply_address(self, reader: Reader) -> str:
        """This reader's own reply address on this ticket: replying to it is what proves it is them."""
        mailbox = parseaddr(self.settings.mail_from)[1]
        return reply_address(self.links.key, self.ticket_id, reader.id, mailbox)


def as_thread_root(mail: OutgoingMail, settings: MailSettings, ticket_id: int) -> OutgoingMail:
    """The acknowledgement to the requester starts the thread every later mail replies to."""
    mail.message_id = message_id(ticket_id, 1, settings.mail_domain)
    mail.in_reply_to, mail.references = None, []
    return mail
