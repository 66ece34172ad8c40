"""Who acts: roles and the actor recorded on every event of every entity (tickets, escalations, grants)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import ActionForbidden


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


def refuse_attestation(actor: Actor, action: str, status: str) -> None:
    """Only the customer themselves attests (satisfaction, a fix works, closing): staff acting through
    a support-access grant may work in the customer's account but never speak for them, or the
    satisfaction report and the verification step would count staff's word as the customer's."""
    if actor.on_behalf_of:
        raise ActionForbidden(action, status, f"support access cannot {action} on the customer's behalf")
