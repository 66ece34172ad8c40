"""Turning ticket snapshots into API responses for a given caller."""

from __future__ import annotations

from typing import Any

from api.schemas import TicketOut
from domain.ticket import Role, TicketStatus
from domain.transitions import RULES
from store.identities import Principal


def allowed_for(status: str, role: Role) -> list[str]:
    """Actions the caller may take now; mirrors the workflow's validators (which stay authoritative)."""
    current = TicketStatus(status)
    return [name for name, rule in RULES.items() if current in rule.statuses and role in rule.roles]


def ticket_out(snapshot: dict[str, Any], principal: Principal) -> TicketOut:
    return TicketOut.model_validate(
        {**snapshot, "allowed_actions": allowed_for(snapshot["status"], Role(principal.role))}
    )
