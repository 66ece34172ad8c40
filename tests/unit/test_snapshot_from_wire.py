"""The API answers from an update's raw JSON payload; it must equal the snapshot the read model stores."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from temporalio.converter import DataConverter

from domain.actors import Actor
from domain.events import number
from domain.sla import overdue_sla_deadlines
from domain.ticket.commands import Assign, Reply
from domain.ticket.snapshot import snapshot_from_wire, snapshot_json
from domain.ticket.state import TicketState
from domain.ticket.transitions import decide, decide_sla, evolve
from tests.unit.test_sla import AGENT, MONDAY_9, SP, ticket


def on_the_wire(state: TicketState) -> dict:
    payload = DataConverter.default.payload_converter.to_payloads([state])[0]
    decoded: dict = json.loads(payload.data)
    return decoded


def act(state: TicketState, changes: list, actor: Actor, at: datetime) -> None:
    for event in number(changes, state, at, actor):
        evolve(state, event)


def test_a_fresh_ticket_with_running_clocks() -> None:
    state = ticket(severity=2)
    assert snapshot_from_wire(on_the_wire(state)) == snapshot_json(state)


def test_a_ticket_with_breached_stopped_clocks_and_an_assignee() -> None:
    state = ticket(severity=1, cc=["a@example.test"])
    late = datetime(2026, 11, 23, 15, 0, tzinfo=SP)
    assert state.sla is not None
    for deadline in overdue_sla_deadlines(state.sla, late):
        act(state, decide_sla(state, deadline), Actor.system(), late)
    act(state, decide(state, Assign(actor=AGENT, assignee_id="agent-2")), AGENT, late)
    act(state, decide(state, Reply(actor=AGENT, body="Sorry", await_customer=True)), AGENT, late)
    assert state.sla.clock("first_response").breached_at is not None
    assert snapshot_from_wire(on_the_wire(state)) == snapshot_json(state)


def test_a_ticket_without_sla() -> None:
    state = ticket()
    state.sla = None
    state.updated_at = MONDAY_9 + timedelta(hours=1)
    assert snapshot_from_wire(on_the_wire(state)) == snapshot_json(state)
