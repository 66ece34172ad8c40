"""A ticket, its people and its outbox rows written straight into the real database, and the real
mailer (MailOutbox) delivering them to the real SMTP sink: the mail side tested without waiting on
which events the workflows queue (that list is the domain's)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.ticket.state import Channel
from entrypoints.mail_sink import MailSink
from integrations.mail.outbox import MailOutbox
from integrations.mail.smtp import MailSettings
from store import identities
from store.tables import escalation_events, escalations, notifications, ticket_events, tickets, users
from tests.support.snapshots import escalation_snapshot, ticket_snapshot

BASE_URL = "http://127.0.0.1:8000"
DOMAIN = "escalator.localhost"


@dataclass
class Person:
    id: str
    email: str


@dataclass
class Bed:
    """One ticket: requester, cc, assignee (pt-BR), another agent; rows go into its outbox."""

    engine: AsyncEngine
    sink: MailSink
    key: bytes
    ticket_id: int
    requester: Person
    cc: Person
    agent: Person
    other_agent: Person
    escalation_id: str = ""
    subject: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outbox(self) -> MailOutbox:
        settings = MailSettings(smtp_host="127.0.0.1", smtp_port=self.sink.port, mail_domain=DOMAIN)
        return MailOutbox(self.engine, settings, BASE_URL, self.key)

    async def queue(self, kind: str, seq: int, data: dict[str, Any], source: str = "ticket") -> None:
        """The outbox row and the timeline event it belongs to, as a projection writes them (the
        mailer sends a row only while its event is in the timeline)."""
        row = {"ticket_id": self.ticket_id, "source": source, "seq": seq, "kind": kind, "data": data}
        event_data = {k: v for k, v in data.items() if k != "actor_id"}
        event = {"seq": seq, "type": kind, "at": datetime.now(UTC), "actor_id": data.get("actor_id")}
        if source == "ticket":
            event.update(ticket_id=self.ticket_id, data=event_data)
        else:
            event.update(escalation_id=source, data=event_data)
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(ticket_events if source == "ticket" else escalation_events).values(event)
            )
            await conn.execute(insert(notifications).values(row))

    async def deliver(self) -> list[EmailMessage]:
        """Deliver everything owed, then this ticket's mails as the sink received them."""
        await self.outbox.deliver_all_due()
        return [m for m in self.sink.messages if f"[#{self.ticket_id}]" in str(m["Subject"])]

    async def row(self, kind: str, seq: int, source: str = "ticket") -> dict[str, Any]:
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(notifications).where(
                    notifications.c.ticket_id == self.ticket_id,
                    notifications.c.source == source,
                    notifications.c.seq == seq,
                    notifications.c.kind == kind,
                )
            )
            return dict(found.mappings().one())

    async def set_assignee(self, agent: Person | None) -> None:
        async with self.engine.begin() as conn:
            snapshot = (
                await conn.execute(select(tickets.c.snapshot).where(tickets.c.id == self.ticket_id))
            ).scalar_one()
            snapshot = {**snapshot, "assignee_id": agent.id if agent else None}
            await conn.execute(
                tickets.update()
                .where(tickets.c.id == self.ticket_id)
                .values(snapshot=snapshot, assignee_id=snapshot["assignee_id"])
            )

    async def opt_out(self, agent: Person) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == agent.id).values(notify_by_email=False))

    async def escalate(self, stage: str, eta: date | None) -> str:
        """An escalation row as the projection writes it (stage and ETA are what the mails read)."""
        self.escalation_id = f"CP-{random.randrange(10**6, 10**7)}"
        now = datetime.now(UTC)
        snapshot = escalation_snapshot(
            self.escalation_id, self.ticket_id, self.extra["org_id"], self.extra["requester_id"], now, stage,
            eta.isoformat() if eta else None,
        )  # fmt: skip
        row = {
            "id": self.escalation_id, "ticket_id": self.ticket_id, "org_id": self.extra["org_id"], "stage": stage,
            "target": "engineering", "eta": eta, "created_at": now, "updated_at": now, "version": 1,
            "snapshot": snapshot,  # other tests list escalations: the row must read as a real one
        }  # fmt: skip
        async with self.engine.begin() as conn:
            await conn.execute(insert(escalations).values(row))
        return self.escalation_id


async def make_bed(engine: AsyncEngine, sink: MailSink, key: bytes) -> Bed:
    suffix = uuid.uuid4().hex[:8]
    async with engine.begin() as conn:
        org = await identities.create_org(conn, f"Loja {suffix}", f"loja-{suffix}")
        staff_org = await identities.create_org(conn, f"Suporte {suffix}", f"suporte-{suffix}")

        async def person(org_id: str, name: str, role: str, locale: str) -> Person:
            user = await identities.create_user(
                conn, org_id, name, f"{name}-{suffix}@example.test", role, locale
            )
            return Person(user["id"], user["email"])

        requester = await person(org["id"], "carla", "customer", "pt-BR")
        cc = await person(org["id"], "otto", "customer", "en")
        agent = await person(staff_org["id"], "ana", "agent", "pt-BR")
        other = await person(staff_org["id"], "bruno", "agent", "en")
        ticket_id = random.randrange(8 * 10**9, 9 * 10**9)
        subject = f"Nota fiscal não exporta {suffix}"
        now = datetime.now(UTC)
        # A whole snapshot, as the projection writes it: other tests list tickets from this database.
        snapshot = ticket_snapshot(
            ticket_id, org["id"], requester.id, subject, now, [cc.id], Channel.EMAIL, agent.id
        )
        await conn.execute(
            insert(tickets).values(
                id=ticket_id, org_id=org["id"], requester_id=requester.id, assignee_id=agent.id, status="open",
                severity=3, tier="L1", channel="email", kind="question", environment="production",
                subject=subject, created_at=now, updated_at=now, version=1, snapshot=snapshot,
            )
        )  # fmt: skip
    return Bed(
        engine,
        sink,
        key,
        ticket_id,
        requester,
        cc,
        agent,
        other,
        subject=subject,
        extra={"org_id": org["id"], "requester_id": requester.id},
    )
