"""Support access ("proxy login", seed 002): placeholder until grants land; no token is valid yet."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from store.identities import Principal

SUPPORT_TOKEN_PREFIX = "esa_"


async def principal_for_support_token(conn: AsyncConnection, token: str) -> Principal | None:
    """The user an agent may act as with this token, while the user's grant is valid."""
    return None
