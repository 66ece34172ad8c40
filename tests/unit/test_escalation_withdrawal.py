"""Issue #14 without Temporal: which close owes the escalation an end, with what reason; what a
withdrawal records; what a closed ticket shows of its escalation's end."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from domain.actors import Actor, Role
from domain.escalation.state import EscalationState, NewEscalation, Stage, Target, evolve_escalation, view_of
from domain.escalation.withdrawal import decide_withdrawal, withdrawal_comment
from domain.events import Change, number
from domain.ticket.closing import escalation_to_end
from domain.ticket.commands import Close, Escalate, MergeInto
from domain.ticket.state import EscalationView, NewTicket, TicketState, TicketStatus
from domain.ticket.transitions import decide, decide_escalation_update, evolve

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
AGENT = Actor("a", Role.AGENT)
CUSTOMER = Actor("c", Role.CUSTOMER)


def escalated_ticket() -> TicketState:
    state = TicketState.opened(NewTicket(12, "o", "c", "Importer", "dup"), T0)
    record(state, decide(state, Escalate(AGENT, "CP-1", "engineering", "dup invoices")))
    return state


def record(state: TicketState, changes: list[Change]) -> list:
    events = number(changes, state, T0, AGENT)
    for event in events:
        evolve(state, event)
    return events


def escalation() -> EscalationState:
    new = NewEscalation("CP-1", 12, "o", "c", Target.ENGINEERING, "dup invoices", "desc", "a")
    return EscalationState.opened(new, T0)


def test_the_requesters_close_ends_the_escalation_with_its_reason() -> None:
    state = escalated_ticket()
    batch = record(state, decide(state, Close(CUSTOMER)))
    assert escalation_to_end(state, batch) == "ticket #12 closed by the requester"


def test_a_merge_ends_it_as_a_duplicate() -> None:
    state = escalated_ticket()
    batch = record(state, decide(state, MergeInto(AGENT, 15)))
    assert escalation_to_end(state, batch) == "ticket #12 merged as a duplicate of #15"


def test_nothing_is_owed_for_an_ended_escalation_or_a_batch_that_did_not_close() -> None:
    state = escalated_ticket()
    assert escalation_to_end(state, []) is None  # not closed
    ended = EscalationView("CP-1", "resolved", "engineering", reason="fixed")
    record(state, decide_escalation_update(state, ended))
    batch = record(state, decide(state, Close(CUSTOMER)))
    assert escalation_to_end(state, batch) is None


def test_withdrawal_is_terminal_and_keeps_an_earlier_end() -> None:
    state = escalation()
    for event in number(decide_withdrawal(state, "ticket #12 closed by the requester"), state, T0, AGENT):
        evolve_escalation(state, event)
    assert state.stage is Stage.WITHDRAWN and not state.active
    assert view_of(state).reason == "ticket #12 closed by the requester"
    assert "ticket #12 closed by the requester" in withdrawal_comment(state)
    assert decide_withdrawal(state, "again") == []


def test_a_closed_ticket_shows_its_escalations_end_only_when_asked_and_stays_closed() -> None:
    state = escalated_ticket()
    record(state, decide(state, Close(CUSTOMER)))
    withdrawn = EscalationView(
        "CP-1", "withdrawn", "engineering", reason="ticket #12 closed by the requester"
    )
    assert decide_escalation_update(state, withdrawn) == []  # runs before the patch: as before
    record(state, decide_escalation_update(state, withdrawn, shown_after_close=True))
    assert state.status is TicketStatus.CLOSED
    assert state.escalation is not None and asdict(state.escalation) == asdict(withdrawn)
    assert not state.escalation_active
