"""Turning ticket snapshots and timelines into API responses for a given caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.schemas.sla import SlaClockOut, SlaOut
from api.schemas.tickets import TicketOut
from services.context import Context
from services.people import People
from services.sla_view import live_clocks
from services.tickets import allowed_actions, people_of
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


def ticket_out(snapshot: dict[str, Any], principal: Principal, people: People) -> TicketOut:
    """The snapshot with the caller's allowed actions, live clocks and the names of whom it names."""
    return TicketOut.model_validate(
        {
            **snapshot,
            "requester": people.ref(snapshot["requester_id"]),
            "assignee": people.ref(snapshot.get("assignee_id")),
            "cc_users": people.refs(snapshot.get("cc", [])),
            "sla": sla_out(snapshot),
            "allowed_actions": allowed_actions(snapshot, principal.role),
        }
    )


async def ticket_answer(context: Context, snapshot: dict[str, Any]) -> TicketOut:
    """A write's answer: the snapshot the workflow returned, names looked up in one query."""
    return ticket_out(snapshot, context.principal, await people_of(context, [snapshot]))


def event_out(event: dict[str, Any], people: People) -> dict[str, Any]:
    """A timeline row with names beside its actor (and the agent behind them, if any)."""
    named = {**event, "actor": people.ref(event.get("actor_id"))}
    if "on_behalf_of" in event:
        named["on_behalf_of_user"] = people.ref(event["on_behalf_of"])
    return named
