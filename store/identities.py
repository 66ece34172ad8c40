"""Organisations, users and API keys: who may call the API and as what."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import Role
from store.scope import Scope
from store.tables import api_keys, organisations, users

KEY_PREFIX = "esc_"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    org_id: str
    role: Role
    name: str
    email: str
    locale: str = "en"
    acting_agent_id: str | None = None  # set when an agent acts through the user's support-access grant
    acting_agent_name: str | None = None


def hash_key(key: str) -> str:
    """API keys are 256-bit random strings, so a plain SHA-256 is a safe at-rest form."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_org(conn: AsyncConnection, name: str, slug: str) -> dict[str, Any]:
    org = {"id": str(uuid.uuid4()), "name": name, "slug": slug}
    await conn.execute(insert(organisations).values(org))
    return org


async def get_org(conn: AsyncConnection, org_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(organisations).where(organisations.c.id == org_id))).mappings().first()
    return dict(row) if row else None


async def update_org(conn: AsyncConnection, org_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    if changes:
        await conn.execute(update(organisations).where(organisations.c.id == org_id).values(**changes))
    return await get_org(conn, org_id)


async def list_orgs(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(organisations).order_by(organisations.c.created_at))
    return [dict(r) for r in rows.mappings()]


async def create_user(
    conn: AsyncConnection, org_id: str, name: str, email: str, role: str, locale: str = "en"
) -> dict[str, Any]:
    user = {
        "id": str(uuid.uuid4()),
        "org_id": org_id,
        "name": name,
        "email": email,
        "role": role,
        "locale": locale,
    }
    await conn.execute(insert(users).values(user))
    return user


def user_visible(scope: Scope) -> ColumnElement[bool]:
    """Users of the scope's organisation (all for staff); a participant-only scope sees itself."""
    conditions: list[ColumnElement[bool]] = []
    if scope.org_id is not None:
        conditions.append(users.c.org_id == scope.org_id)
    if scope.participant_id is not None:
        conditions.append(users.c.id == scope.participant_id)
    return and_(true(), *conditions)


async def get_user(conn: AsyncConnection, scope: Scope, user_id: str) -> dict[str, Any] | None:
    """The user, or None when unknown or outside the scope (alike)."""
    query = select(users).where(users.c.id == user_id, user_visible(scope))
    row = (await conn.execute(query)).mappings().first()
    return dict(row) if row else None


async def customers_of(conn: AsyncConnection, org_id: str, user_ids: list[str]) -> set[str]:
    """Which of these ids are customers (or org admins) of the organisation; for checking a cc list."""
    query = select(users.c.id).where(
        users.c.id.in_(user_ids), users.c.org_id == org_id, users.c.role.in_(["customer", "org_admin"])
    )
    return {str(r.id) for r in await conn.execute(query)}


async def list_users(conn: AsyncConnection, scope: Scope, org_id: str | None = None) -> list[dict[str, Any]]:
    query = select(users).where(user_visible(scope)).order_by(users.c.created_at)
    if org_id is not None:
        query = query.where(users.c.org_id == org_id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def names_of(conn: AsyncConnection, user_ids: Collection[str]) -> dict[str, str]:
    """Display names of the given users, for the people a caller already sees on a ticket.

    No scope here on purpose: the caller passes ids taken from a ticket they may read (requester,
    cc, assignee, message authors), and a support desk shows those names to everyone on it.
    """
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return {}
    query = select(users.c.id, users.c.name).where(users.c.id.in_(wanted))
    return {str(row.id): str(row.name) for row in await conn.execute(query)}


async def issue_key(
    conn: AsyncConnection, user_id: str, name: str = "", expires_at: datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """Returns the clear key once; only its hash is stored."""
    key = new_key()
    record = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        "name": name,
        "prefix": key[:10],
        "key_hash": hash_key(key),
        "expires_at": expires_at,
    }
    await conn.execute(insert(api_keys).values(record))
    return key, {k: v for k, v in record.items() if k != "key_hash"}


async def revoke_key(conn: AsyncConnection, key_id: str) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(result.rowcount)


async def principal_for_email(conn: AsyncConnection, address: str) -> Principal | None:
    """The user an e-mail address belongs to (case-insensitive), for inbound mail; None if unknown."""
    query = select(users).where(func.lower(users.c.email) == address.lower())
    row = (await conn.execute(query)).mappings().first()
    return _principal(row) if row else None


async def principal_for_user(conn: AsyncConnection, user_id: str) -> Principal | None:
    """The user a signed e-mail link was made for, or None when they no longer exist."""
    row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    return _principal(row) if row else None


async def principal_for_key(conn: AsyncConnection, key: str) -> Principal | None:
    """A valid (not revoked, not expired) key's user, or None."""
    now = datetime.now(UTC)
    query = (
        select(users, api_keys.c.expires_at, api_keys.c.revoked_at)
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(api_keys.c.key_hash == hash_key(key))
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return None
    return _principal(row)


def _principal(row: Any) -> Principal:
    return Principal(
        user_id=row["id"],
        org_id=row["org_id"],
        role=Role(row["role"]),
        name=row["name"],
        email=row["email"],
        locale=row["locale"],
    )
