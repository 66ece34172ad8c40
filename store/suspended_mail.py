"""Reading and writing the suspended-mail queue.

Only staff read it: every read takes a `Scope`, and a scope limited to an organisation or to a
participant sees no row at all (the queue holds mail from anyone, about any organisation). Decisions
are compare-and-set on `status`, so two agents deciding at once cannot both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.scope import Scope
from store.suspended_mail_tables import suspended_mail

WAITING, ACCEPTED, REJECTED = "waiting", "accepted", "rejected"
STATUSES = (WAITING, ACCEPTED, REJECTED)
LIST_COLUMNS = tuple(c for c in suspended_mail.c if c.name not in ("raw", "body"))


@dataclass(frozen=True)
class HeldMail:
    """One message to hold; `raw` already cut to the stored bound by the caller."""

    received_at: datetime
    reason: str
    detail: str
    mail_from: str
    recipients: list[str]
    sender: str
    sender_name: str
    subject: str
    claimed_ticket_id: int | None
    message_id: str | None
    body: str
    raw: bytes
    raw_size: int


@dataclass(frozen=True)
class Position:
    """Where a page of the list continues: after this (received_at, id), newest first."""

    received_at: datetime
    id: str


def _visible(scope: Scope) -> ColumnElement[bool]:
    """Staff scopes (every organisation, not limited to their own tickets) see the queue; no one else."""
    return true() if scope.org_id is None and scope.participant_id is None else false()


async def hold(conn: AsyncConnection, mail: HeldMail) -> str:
    """Store the message; a repeat of a stored Message-ID (the sender's retry) returns the first row's id."""
    row = {
        "id": str(uuid.uuid4()),
        **{name: getattr(mail, name) for name in HeldMail.__dataclass_fields__},
        "raw_truncated": len(mail.raw) < mail.raw_size,
    }
    inserted = await conn.execute(
        insert(suspended_mail)
        .values(row)
        .on_conflict_do_nothing(
            index_elements=["message_id"], index_where=suspended_mail.c.message_id.is_not(None)
        )
        .returning(suspended_mail.c.id)
    )
    new_id = inserted.scalar()
    if new_id is not None:
        return str(new_id)
    found = await conn.execute(
        select(suspended_mail.c.id).where(suspended_mail.c.message_id == mail.message_id)
    )
    return str(found.scalar_one())


async def list_held(
    conn: AsyncConnection, scope: Scope, status: str, after: Position | None, limit: int
) -> list[dict[str, Any]]:
    """A page, newest first, without the raw message and body (the detail has them)."""
    query = select(*LIST_COLUMNS).where(_visible(scope), suspended_mail.c.status == status)
    if after is not None:
        query = query.where(
            or_(
                suspended_mail.c.received_at < after.received_at,
                and_(suspended_mail.c.received_at == after.received_at, suspended_mail.c.id < after.id),
            )
        )
    query = query.order_by(suspended_mail.c.received_at.desc(), suspended_mail.c.id.desc()).limit(limit)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def get_held(conn: AsyncConnection, scope: Scope, mail_id: str) -> dict[str, Any] | None:
    """One message with its raw bytes and body; None when absent or outside the scope."""
    query = select(suspended_mail).where(_visible(scope), suspended_mail.c.id == mail_id)
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def decide(
    conn: AsyncConnection, mail_id: str, status: str, decided_by: str, ticket_id: int | None = None
) -> dict[str, Any] | None:
    """Move a waiting message to `status`; None when it was not waiting (someone decided first)."""
    changed = await conn.execute(
        update(suspended_mail)
        .where(suspended_mail.c.id == mail_id, suspended_mail.c.status == WAITING)
        .values(status=status, decided_by=decided_by, decided_at=datetime.now(UTC), ticket_id=ticket_id)
        .returning(*LIST_COLUMNS)
    )
    row = changed.mappings().first()
    return dict(row) if row else None
