"""Support access ("proxy login", seed 002): tokens an agent uses to act as a user who granted access.

A token is `esa_` + 256 random bits, shown once and stored as its SHA-256 (like API keys). It lives
at most an hour and never beyond the grant. Every request re-checks the grant row against the
clock, so revocation (projected before the API answers) and expiry (even before the workflow's
`expired` lands) refuse at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, String, cast, insert, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import Role
from domain.support_access.grant import GrantStatus, token_expiry
from store.identities import Principal
from store.keyset import keyset
from store.support_access_tables import support_access_events, support_access_grants, support_access_tokens
from store.tables import ticket_events, users

SUPPORT_TOKEN_PREFIX = "esa_"
MINTING_ROLES = frozenset({"agent", "admin"})


@dataclass(frozen=True)
class IssuedToken:
    """The clear token (shown once) and what it allows."""

    token: str
    user_id: str
    agent_id: str
    expires_at: datetime


def hash_token(token: str) -> str:
    """256 random bits need no slow hash: SHA-256 is a safe at-rest form."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return SUPPORT_TOKEN_PREFIX + secrets.token_urlsafe(32)


async def issue_token(
    conn: AsyncConnection, user_id: str, agent_id: str, now: datetime | None = None
) -> IssuedToken | None:
    """A token for the agent to act as the user, or None without a valid grant.

    The grant row is held FOR SHARE until the caller commits, so a revocation being projected
    meanwhile waits for this token and then cuts it off.
    """
    now = now or datetime.now(UTC)
    query = (
        select(support_access_grants.c.expires_at)
        .where(
            support_access_grants.c.user_id == user_id,
            support_access_grants.c.status == GrantStatus.ACTIVE.value,
            support_access_grants.c.expires_at > now,
        )
        .with_for_update(read=True)
    )
    grant_expires_at = (await conn.execute(query)).scalar_one_or_none()
    if grant_expires_at is None:
        return None
    token = new_token()
    expires_at = token_expiry(grant_expires_at, now)
    await conn.execute(
        insert(support_access_tokens).values(
            token_hash=hash_token(token),
            user_id=user_id,
            agent_id=agent_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return IssuedToken(token=token, user_id=user_id, agent_id=agent_id, expires_at=expires_at)


async def principal_for_support_token(conn: AsyncConnection, token: str) -> Principal | None:
    """The user an agent may act as with this token, while the user's grant is valid."""
    now = datetime.now(UTC)
    agents = users.alias("agents")
    query = (
        select(
            users,
            agents.c.id.label("agent_id"),
            agents.c.name.label("agent_name"),
            agents.c.role.label("agent_role"),
        )
        .select_from(
            support_access_tokens.join(users, users.c.id == support_access_tokens.c.user_id)
            .join(agents, agents.c.id == support_access_tokens.c.agent_id)
            .join(support_access_grants, support_access_grants.c.user_id == support_access_tokens.c.user_id)
        )
        .where(
            support_access_tokens.c.token_hash == hash_token(token),
            support_access_tokens.c.expires_at > now,
            support_access_grants.c.status == GrantStatus.ACTIVE.value,
            support_access_grants.c.expires_at > now,
        )
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None or row["agent_role"] not in MINTING_ROLES:
        return None
    return _acting_principal(row)


def _acting_principal(row: Any) -> Principal:
    return Principal(
        user_id=row["id"],
        org_id=row["org_id"],
        role=Role(row["role"]),
        name=row["name"],
        email=row["email"],
        locale=row["locale"],
        acting_agent_id=row["agent_id"],
        acting_agent_name=row["agent_name"],
    )


async def get_grant(conn: AsyncConnection, user_id: str) -> dict[str, Any] | None:
    """The user's grant row, with `status` as it stands now (an active grant past its expiry is expired)."""
    query = select(support_access_grants).where(support_access_grants.c.user_id == user_id)
    row = (await conn.execute(query)).mappings().first()
    return effective(dict(row), datetime.now(UTC)) if row else None


async def list_active_grants(
    conn: AsyncConnection, limit: int = 100, after: tuple[Any, ...] | None = None
) -> list[dict[str, Any]]:
    """Valid grants, soonest to expire first, with whose account each opens (for staff); `after` is
    the (expires_at, user_id) of the last grant of the previous page."""
    now = datetime.now(UTC)
    query = (
        select(support_access_grants, users.c.name, users.c.email)
        .join(users, users.c.id == support_access_grants.c.user_id)
        .where(
            support_access_grants.c.status == GrantStatus.ACTIVE.value,
            support_access_grants.c.expires_at > now,
        )
    )
    sort_key = (support_access_grants.c.expires_at, support_access_grants.c.user_id)
    query = keyset(query, sort_key, after, limit)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


def effective(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The projection of `expired` may lag the clock by a moment; readers should not."""
    if row["status"] == GrantStatus.ACTIVE.value and row["expires_at"] <= now:
        row["status"] = GrantStatus.EXPIRED.value
    return row


async def audit_trail(conn: AsyncConnection, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """What happened under the user's support access, newest first: the grant's own events, each
    token an agent obtained, and every ticket change an agent made on the user's behalf.

    Rows: `at`, `kind` (granted, replaced, revoked, expired, token_issued, or a ticket event's
    type), `ticket_id` (ticket changes only) and `agent_name` (whoever of staff acted, if anyone).
    """
    agents = users.alias("agents")
    grant_events = select(
        support_access_events.c.at,
        support_access_events.c.type.label("kind"),
        cast(null(), BigInteger).label("ticket_id"),  # typed: UNION cannot match an untyped NULL
        cast(null(), String).label("agent_id"),
    ).where(support_access_events.c.user_id == user_id)
    tokens = select(
        support_access_tokens.c.created_at.label("at"),
        literal("token_issued", String).label("kind"),
        cast(null(), BigInteger).label("ticket_id"),
        support_access_tokens.c.agent_id,
    ).where(support_access_tokens.c.user_id == user_id)
    acts = select(
        ticket_events.c.at,
        ticket_events.c.type.label("kind"),
        ticket_events.c.ticket_id,
        ticket_events.c.on_behalf_of.label("agent_id"),
    ).where(ticket_events.c.actor_id == user_id, ticket_events.c.on_behalf_of.is_not(None))
    trail = union_all(grant_events, tokens, acts).subquery()
    query = (
        select(trail.c.at, trail.c.kind, trail.c.ticket_id, agents.c.name.label("agent_name"))
        .outerjoin(agents, agents.c.id == trail.c.agent_id)
        .order_by(trail.c.at.desc())
        .limit(limit)
    )
    return [dict(r) for r in (await conn.execute(query)).mappings()]
