"""Organisations with one user (and key) of each role, made straight in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from store import identities


@dataclass
class Member:
    id: str
    key: str
    role: str
    org_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Org:
    id: str
    members: dict[str, Member] = field(default_factory=dict)

    def __getitem__(self, role: str) -> Member:
        return self.members[role]


async def make_org(engine: AsyncEngine, roles: tuple[str, ...] = ("customer", "org_admin")) -> Org:
    suffix = uuid.uuid4().hex[:8]
    async with engine.begin() as conn:
        org = await identities.create_org(conn, f"Org {suffix}", f"org-{suffix}")
        result = Org(id=org["id"])
        for role in roles:
            db_role = "customer" if role.startswith("customer") else role
            user = await identities.create_user(
                conn, org["id"], f"{role} {suffix}", f"{role}-{suffix}@example.test", db_role
            )
            key, _ = await identities.issue_key(conn, user["id"], "test")
            result.members[role] = Member(id=user["id"], key=key, role=role, org_id=org["id"])
    return result


async def make_staff(engine: AsyncEngine) -> Org:
    return await make_org(engine, roles=("agent", "engineer", "admin"))
