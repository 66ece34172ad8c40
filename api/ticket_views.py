"""Turning ticket snapshots into API responses for a given caller."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.schemas import TicketOut
from api.sla_schemas import SlaClockOut, SlaOut
from domain.actors import Role
from domain.sla import clocks_from_json
from domain.ticket.state import TicketStatus
from domain.ticket.transitions import RULES
from store.identities import Principal


def allowed_for(status: str, role: Role) -> list[str]:
    """Actions the caller may take now; mirrors the workflow's validators (which stay authoritative)."""
    current = TicketStatus(status)
    return [name for name, rule in RULES.items() if current in rule.statuses and role in rule.roles]


def sla_out(snapshot: dict[str, Any], now: datetime | None = None) -> SlaOut | None:
    """Clocks as of now: remaining business time moves on between projections."""
    sla = snapshot.get("sla")
    if not sla:
        return None
    clocks = clocks_from_json(sla, now or datetime.now(UTC))
    return SlaOut(
        policy=sla["policy"],
        policy_version=sla["policy_version"],
        calendar=sla["calendar_name"],
        clocks=[SlaClockOut.model_validate(c) for c in clocks],
    )


def ticket_out(snapshot: dict[str, Any], principal: Principal) -> TicketOut:
    return TicketOut.model_validate(
        {
            **snapshot,
            "sla": sla_out(snapshot),
            "allowed_actions": allowed_for(snapshot["status"], Role(principal.role)),
        }
    )
