"""One-time sign-in tokens sent by e-mail: 256-bit, stored hashed, short-lived, single use.

The clear token exists only in the e-mail; the table keeps its SHA-256. Consuming is one UPDATE
guarded by `used_at IS NULL AND expires_at > now`, so two clicks racing on the same link sign in
at most once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.identities import hash_key
from store.tables import users
from store.web_tables import signin_tokens

TOKEN_BYTES = 32  # 256 bits


@dataclass(frozen=True)
class SigninRecipient:
    """Whom a sign-in link goes to, in the words of their own locale."""

    user_id: str
    email: str
    name: str
    locale: str


async def recipient_for_email(conn: AsyncConnection, email: str) -> SigninRecipient | None:
    """The user with this address (case-insensitive), or None: the caller must not tell which."""
    query = select(users.c.id, users.c.email, users.c.name, users.c.locale).where(
        func.lower(users.c.email) == email.strip().lower()
    )
    row = (await conn.execute(query)).first()
    return SigninRecipient(row.id, row.email, row.name, row.locale) if row else None


async def recent_token_count(conn: AsyncConnection, user_id: str, since: datetime) -> int:
    """How many links this user was sent since `since`: caps how often anyone can mail them one."""
    query = select(func.count()).where(
        signin_tokens.c.user_id == user_id, signin_tokens.c.created_at >= since
    )
    return int((await conn.execute(query)).scalar_one())


async def issue_signin_token(conn: AsyncConnection, user_id: str, now: datetime, ttl: timedelta) -> str:
    """A new clear token valid until `now + ttl`; only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await conn.execute(
        insert(signin_tokens).values(
            token_hash=hash_key(token), user_id=user_id, created_at=now, expires_at=now + ttl
        )
    )
    return token


async def consume_signin_token(conn: AsyncConnection, token: str, now: datetime) -> str | None:
    """The token's user id if it is known, unused and unexpired, marking it used; else None."""
    result = await conn.execute(
        update(signin_tokens)
        .where(
            signin_tokens.c.token_hash == hash_key(token),
            signin_tokens.c.used_at.is_(None),
            signin_tokens.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(signin_tokens.c.user_id)
    )
    user_id = result.scalar()
    return str(user_id) if user_id is not None else None
