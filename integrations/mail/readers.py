"""Who reads a notification: the ticket's customers, its staff, or the one agent it concerns.

Each reader gets a mail of their own (their language, their own signed links), so a reader carries
their user id. Lists come back in a fixed order (the requester first, then cc in the ticket's order;
staff by id), because a mail's Message-ID variant is its reader's position: a retry must give every
reader the same id again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import STAFF_ROLES
from store.queue_tables import group_members
from store.tables import users

STAFF = sorted(role.value for role in STAFF_ROLES)


@dataclass(frozen=True)
class Reader:
    id: str
    email: str
    locale: str
    name: str


_COLUMNS = (users.c.id, users.c.email, users.c.locale, users.c.name)


async def readers(conn: AsyncConnection, user_ids: list[str]) -> list[Reader]:
    """The users behind `user_ids`, in that order, each once; unknown ids are left out."""
    wanted = list(dict.fromkeys(i for i in user_ids if i))
    if not wanted:
        return []
    rows = await conn.execute(select(*_COLUMNS).where(users.c.id.in_(wanted)))
    found = {r.id: Reader(r.id, r.email, r.locale, r.name) for r in rows}
    return [found[i] for i in wanted if i in found]


async def customers_of(conn: AsyncConnection, ticket: dict[str, Any]) -> list[Reader]:
    """The requester, then every cc participant."""
    return await readers(conn, [ticket["requester_id"], *ticket.get("cc", [])])


async def requester_of(conn: AsyncConnection, ticket: dict[str, Any]) -> list[Reader]:
    """Only the requester: the one who answers the survey and confirms a fix."""
    return await readers(conn, [ticket["requester_id"]])


async def staff_for(conn: AsyncConnection, ticket: dict[str, Any]) -> list[Reader]:
    """Operational alerts (SLA, ETA passed, JIRA sync): the assignee, or every agent when unassigned.

    The agents' e-mail opt-out does not silence these: an alert nobody reads is a breach nobody fixes.
    """
    if ticket.get("assignee_id"):
        return await readers(conn, [ticket["assignee_id"]])
    rows = await conn.execute(select(*_COLUMNS).where(users.c.role == "agent").order_by(users.c.id))
    return [Reader(r.id, r.email, r.locale, r.name) for r in rows]


async def agent_to_notify(conn: AsyncConnection, agent_id: str | None, actor_id: str | None) -> list[Reader]:
    """The agent a ticket event concerns, unless they caused it themselves or turned e-mail off."""
    if not agent_id or agent_id == actor_id:
        return []
    rows = await conn.execute(
        select(*_COLUMNS).where(users.c.id == agent_id, users.c.notify_by_email.is_(True))
    )
    return [Reader(r.id, r.email, r.locale, r.name) for r in rows]


async def recipients_for_unassigned_ticket(conn: AsyncConnection, ticket: dict[str, Any]) -> list[Reader]:
    """Who hears about a ticket nobody is assigned to: the members of its group (the queue it waits
    in), staff only, by id, minus those who turned e-mail off. No group: nobody, and the outbox row
    says why, rather than mailing every agent of every team."""
    group_id = ticket.get("group_id")
    if not group_id:
        return []
    rows = await conn.execute(
        select(*_COLUMNS)
        .join(group_members, group_members.c.user_id == users.c.id)
        .where(
            group_members.c.group_id == group_id,
            users.c.role.in_(STAFF),
            users.c.notify_by_email.is_(True),
        )
        .order_by(users.c.id)
    )
    return [Reader(r.id, r.email, r.locale, r.name) for r in rows]
