"""Browser sessions of signed-in people: a random id in an HttpOnly cookie, its hash in Postgres.

A session ends at whichever comes first: sign-out (the row is deleted), `idle` without a request,
or its absolute `expires_at`. Server-side rows (not signed cookies) make sign-out real: a copied
cookie stops working the moment its row is gone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import Role
from store.identities import Principal, hash_key
from store.tables import users
from store.web_tables import web_sessions

SESSION_BYTES = 32
# Writing last_seen_at on every request would make each page view a write; this coarseness is harmless.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class WebSession:
    """A live session: who it is, the CSRF token of its forms, and the page-language override."""

    principal: Principal
    csrf_token: str
    locale: str | None


async def create_session(conn: AsyncConnection, user_id: str, now: datetime, lifetime: timedelta) -> str:
    """A new session for `user_id`; returns the clear id for the cookie (only its hash is stored)."""
    session_id = secrets.token_urlsafe(SESSION_BYTES)
    await conn.execute(
        insert(web_sessions).values(
            id_hash=hash_key(session_id),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(SESSION_BYTES),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    return session_id


async def live_session(
    conn: AsyncConnection, session_id: str, now: datetime, idle: timedelta
) -> WebSession | None:
    """The session if it exists, is not past its absolute end and was used within `idle`; marks it used."""
    query = (
        select(
            users,
            web_sessions.c.csrf_token,
            web_sessions.c.locale.label("session_locale"),
            web_sessions.c.last_seen_at,
        )
        .join(web_sessions, web_sessions.c.user_id == users.c.id)
        .where(
            web_sessions.c.id_hash == hash_key(session_id),
            web_sessions.c.expires_at > now,
            web_sessions.c.last_seen_at > now - idle,
        )
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    if row["last_seen_at"] < now - TOUCH_EVERY:
        await conn.execute(
            update(web_sessions)
            .where(web_sessions.c.id_hash == hash_key(session_id))
            .values(last_seen_at=now)
        )
    principal = Principal(
        user_id=row["id"],
        org_id=row["org_id"],
        role=Role(row["role"]),
        name=row["name"],
        email=row["email"],
        locale=row["locale"],
    )
    return WebSession(principal=principal, csrf_token=row["csrf_token"], locale=row["session_locale"])


async def set_session_locale(conn: AsyncConnection, session_id: str, locale: str) -> None:
    """Remember the language chosen with the page switch for the rest of this session."""
    await conn.execute(
        update(web_sessions).where(web_sessions.c.id_hash == hash_key(session_id)).values(locale=locale)
    )


async def end_session(conn: AsyncConnection, session_id: str) -> None:
    """Sign-out: the row goes, so the cookie (or any copy of it) no longer signs anyone in."""
    await conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == hash_key(session_id)))


async def delete_expired_sessions(conn: AsyncConnection, now: datetime, idle: timedelta) -> int:
    """Housekeeping: drop sessions that can no longer be used."""
    result = await conn.execute(
        delete(web_sessions).where(
            (web_sessions.c.expires_at <= now) | (web_sessions.c.last_seen_at <= now - idle)
        )
    )
    return int(result.rowcount or 0)
