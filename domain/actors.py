"""Who acts: roles and the actor recorded on every event of every entity (tickets, escalations, grants)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    ORG_ADMIN = "org_admin"
    AGENT = "agent"
    ENGINEER = "engineer"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.AGENT, Role.ENGINEER, Role.ADMIN})
CUSTOMER_ROLES = frozenset({Role.CUSTOMER, Role.ORG_ADMIN})


def is_staff(role: Role) -> bool:
    """Staff work tickets of every organisation; customers only their own side."""
    return role in STAFF_ROLES


@dataclass
class Actor:
    """Who asked for a change; `on_behalf_of` is set when staff act through a support-access grant."""

    user_id: str
    role: Role
    name: str = ""
    on_behalf_of: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id="system", role=Role.ADMIN, name="Escalator")

    @property
    def is_system(self) -> bool:
        return self.user_id == "system"
