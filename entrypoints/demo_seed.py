"""The demo organisation, one user of each role, and their API keys (for `make dev`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store import identities
from store.tables import organisations, users

DEMO_USERS = (
    # role, name, e-mail, organisation slug, locale
    ("customer", "Carla Cliente", "carla@demo-customer.example", "demo-customer", "pt-BR"),
    ("org_admin", "Otávio Admin", "otavio@demo-customer.example", "demo-customer", "pt-BR"),
    ("agent", "Ana Agent", "ana@escalator.example", "escalator-support", "en"),
    ("engineer", "Enzo Engineer", "enzo@escalator.example", "escalator-support", "en"),
    ("admin", "Ada Admin", "ada@escalator.example", "escalator-support", "en"),
)
ORGS = {"demo-customer": "Demo Customer Ltda", "escalator-support": "Escalator Support"}


async def _org_id(conn: AsyncConnection, slug: str) -> str:
    found = (await conn.execute(select(organisations.c.id).where(organisations.c.slug == slug))).scalar()
    if found:
        return str(found)
    return str((await identities.create_org(conn, ORGS[slug], slug))["id"])


async def _user_id(conn: AsyncConnection, role: str, name: str, email: str, org_id: str, locale: str) -> str:
    found = (await conn.execute(select(users.c.id).where(users.c.email == email))).scalar()
    if found:
        return str(found)
    return str((await identities.create_user(conn, org_id, name, email, role, locale))["id"])


async def seed_demo(engine: AsyncEngine, previous: dict[str, Any]) -> dict[str, str]:
    """Idempotent: reuses the users, and the `previous` keys while they still work."""
    keys: dict[str, str] = {}
    async with engine.begin() as conn:
        for role, name, email, slug, locale in DEMO_USERS:
            user_id = await _user_id(conn, role, name, email, await _org_id(conn, slug), locale)
            old = previous.get(role)
            principal = await identities.principal_for_key(conn, old) if isinstance(old, str) else None
            if principal is not None and principal.user_id == user_id:
                keys[role] = old  # type: ignore[assignment]
            else:
                keys[role], _ = await identities.issue_key(conn, user_id, "demo")
    return keys
