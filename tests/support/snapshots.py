"""Whole snapshots for rows a test writes straight into the read model.

Why: the test database is shared by the session, and list endpoints validate every row they return;
a row with half a snapshot breaks another test's list. These build the snapshot the projection would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.escalation.state import EscalationState, NewEscalation, Stage, Target
from domain.ticket.snapshot import json_ready, snapshot_json
from domain.ticket.state import Channel, NewTicket, TicketState


def ticket_snapshot(
    ticket_id: int,
    org_id: str,
    requester_id: str,
    subject: str,
    at: datetime,
    cc: list[str] | None = None,
    channel: Channel = Channel.WEB,
    assignee_id: str | None = None,
) -> dict[str, Any]:
    new = NewTicket(ticket_id, org_id, requester_id, subject, "-", channel=channel, cc=list(cc or []))
    state = TicketState.opened(new, at)
    state.assignee_id, state.version = assignee_id, 1
    return snapshot_json(state)


def escalation_snapshot(
    escalation_id: str,
    ticket_id: int,
    org_id: str,
    requester_id: str,
    at: datetime,
    stage: str = "submitted",
    eta: str | None = None,
) -> dict[str, Any]:
    new = NewEscalation(escalation_id, ticket_id, org_id, requester_id, Target.ENGINEERING, "-", "-", "agent")
    state = EscalationState.opened(new, at)
    state.stage, state.eta, state.version = Stage(stage), eta, 1
    snapshot: dict[str, Any] = json_ready(state)
    return snapshot
