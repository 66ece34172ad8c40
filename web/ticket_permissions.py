"""What the portal offers a person on a ticket: the reply box and the Close button (seed 002).

The workflow's rules stay authoritative (a refused command answers 409); these only decide which
controls to show: the requester, people in cc and org admins reply while the ticket is not closed;
the owner (requester) or an org admin closes it.
"""

from __future__ import annotations

from typing import Any

from domain.actors import Role
from store.identities import Principal


def may_reply(principal: Principal, ticket: dict[str, Any]) -> bool:
    if ticket["status"] == "closed":
        return False
    involved = principal.user_id == ticket["requester_id"] or principal.user_id in ticket.get("cc", [])
    return involved or principal.role is Role.ORG_ADMIN


def may_close(principal: Principal, ticket: dict[str, Any]) -> bool:
    if ticket["status"] == "closed":
        return False
    return principal.user_id == ticket["requester_id"] or principal.role is Role.ORG_ADMIN
