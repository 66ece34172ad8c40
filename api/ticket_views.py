"""Turning ticket snapshots into API responses for a given caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.schemas.sla import SlaClockOut, SlaOut
from api.schemas.tickets import TicketOut
from services.sla_view import live_clocks
from services.tickets import allowed_actions
from store.identities import Principal


def sla_out(snapshot: dict[str, Any], now: datetime | None = None) -> SlaOut | None:
    """Clocks as of now: remaining business time moves on between projections."""
    clocks = live_clocks(snapshot, now)
    if clocks is None:
        return None
    sla = snapshot["sla"]
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
            "allowed_actions": allowed_actions(snapshot, principal.role),
        }
    )
