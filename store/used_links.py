"""Single use of signed one-click links: a link is spent by inserting its hash, once.

The insert and the answer it guards happen in one transaction held by the caller: a concurrent
click on the same link waits on the primary key and then finds it taken (nothing recorded twice);
an answer that fails rolls the insert back, so the link still works.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.used_link_tables import used_links


def link_hash(token: str) -> str:
    """Tokens are HMAC-signed and unguessable; a plain SHA-256 is a safe at-rest form."""
    return hashlib.sha256(token.encode()).hexdigest()


async def spend_link(
    conn: AsyncConnection, token: str, recipient_id: str, ticket_id: int, purpose: str
) -> bool:
    """True when this call spent the link; False when it was already used (or is being used now)."""
    statement = (
        insert(used_links)
        .values(link_hash=link_hash(token), recipient_id=recipient_id, ticket_id=ticket_id, purpose=purpose)
        .on_conflict_do_nothing(index_elements=["link_hash"])
        .returning(used_links.c.link_hash)
    )
    return (await conn.execute(statement)).first() is not None


async def link_used(conn: AsyncConnection, token: str) -> bool:
    """Whether the link was already answered (a read: what the confirmation page shows)."""
    query = select(used_links.c.link_hash).where(used_links.c.link_hash == link_hash(token))
    return (await conn.execute(query)).first() is not None
