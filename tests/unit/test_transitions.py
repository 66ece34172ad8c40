"""The ticket's rules as pure functions: who may do what in which status, and what it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidCommand, TransitionRejected
from domain.events import number
from domain.ticket.commands import Assign, Close, Reclassify, Reopen, Reply, Resolve, Tag, Transfer
from domain.ticket.lifecycle import LifecycleSettings, next_lifecycle_deadline
from domain.ticket.state import NewTicket, TicketState, TicketStatus, Tier
from domain.ticket.transitions import allowed_actions, decide, decide_lifecycle, evolve

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AGENT = Actor("agent-1", Role.AGENT)
ENGINEER = Actor("eng-1", Role.ENGINEER)
CUSTOMER = Actor("cust-1", Role.CUSTOMER)
ORG_ADMIN = Actor("admin-1", Role.ORG_ADMIN)


def ticket() -> TicketState:
    return TicketState.opened(
        NewTicket(id=1, org_id="o", requester_id="cust-1", subject="s", description="d"), T0
    )


def apply(state: TicketState, command, at: datetime = T0) -> TicketState:
    for event in number(decide(state, command), state, at, command.actor):
        evolve(state, event)
    return state


def test_agent_reply_awaiting_customer_makes_it_pending_and_counts_as_first_response() -> None:
    state = apply(ticket(), Reply(AGENT, "which version?", await_customer=True), T0 + timedelta(minutes=5))
    assert state.status is TicketStatus.PENDING
    assert state.pending_since == T0 + timedelta(minutes=5)
    assert state.first_response_at == T0 + timedelta(minutes=5)
    assert state.version == 2  # reply_added + status_changed


def test_customer_reply_reopens_pending_and_resolved() -> None:
    state = apply(ticket(), Reply(AGENT, "q", await_customer=True))
    assert apply(state, Reply(CUSTOMER, "a")).status is TicketStatus.OPEN
    apply(state, Resolve(AGENT))
    assert state.status is TicketStatus.RESOLVED
    assert apply(state, Reply(CUSTOMER, "still broken")).status is TicketStatus.OPEN
    assert state.resolved_at is None


def test_internal_note_changes_nothing_but_the_timeline() -> None:
    state = apply(ticket(), Reply(AGENT, "db is slow", internal=True))
    assert state.status is TicketStatus.OPEN and state.first_response_at is None and state.version == 1


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (Resolve(CUSTOMER), "open"),
        (Close(AGENT), "open"),
        (Reopen(AGENT), "open"),
        (Transfer(ENGINEER), "open"),
        (Assign(CUSTOMER, "x"), "open"),
    ],
)
def test_refusals_name_status_and_allowed_actions(command, status: str) -> None:
    with pytest.raises(TransitionRejected) as info:
        decide(ticket(), command)
    assert info.value.status == status
    assert info.value.allowed == allowed_actions(ticket(), command.actor.role)


def test_closed_is_read_only_for_everyone_but_the_survey() -> None:
    state = apply(ticket(), Close(ORG_ADMIN, "duplicate"))
    assert state.status is TicketStatus.CLOSED and state.close_reason == "duplicate"
    for role in Role:
        expected = ["feedback"] if role in (Role.CUSTOMER, Role.ORG_ADMIN) else []
        assert allowed_actions(state, role) == expected  # seed 002: "Deixar feedback" on a closed ticket
    with pytest.raises(TransitionRejected):
        decide(state, Reply(CUSTOMER, "hello?"))


def test_await_customer_only_from_open_or_pending() -> None:
    state = apply(ticket(), Resolve(AGENT))
    with pytest.raises(TransitionRejected):
        decide(state, Reply(AGENT, "?", await_customer=True))


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (Reply(AGENT, "   "), "body"),
        (Reclassify(AGENT, severity=7), "severity"),
        (Reclassify(AGENT), "severity"),
        (Transfer(AGENT, Tier.L1), "tier"),
        (Assign(AGENT, None), "assignee_id"),
        (Reply(CUSTOMER, "x", internal=True), "internal"),
    ],
)
def test_nonsense_is_invalid_with_the_field(command, field: str) -> None:
    with pytest.raises(InvalidCommand) as info:
        decide(ticket(), command)
    assert info.value.field == field


def test_assign_reclassify_transfer() -> None:
    state = apply(ticket(), Assign(AGENT, "agent-2"))
    apply(state, Reclassify(AGENT, severity=1, impact="all stores"))
    apply(state, Transfer(AGENT, Tier.L2, "needs dev"))
    assert (state.assignee_id, state.severity, state.impact, state.tier) == (
        "agent-2",
        1,
        "all stores",
        Tier.L2,
    )


def test_lifecycle_deadlines_and_actions() -> None:
    settings = LifecycleSettings(auto_resolve_after_seconds=10 * 86400, auto_close_after_seconds=4 * 86400)
    state = ticket()
    assert next_lifecycle_deadline(state, settings) is None
    apply(state, Reply(AGENT, "q", await_customer=True), T0)
    deadline = next_lifecycle_deadline(state, settings)
    assert (
        deadline is not None and deadline.action == "auto_resolve" and deadline.due == T0 + timedelta(days=10)
    )
    assert decide_lifecycle(state, "auto_close") == []  # not resolved: nothing to close
    for event in number(decide_lifecycle(state, "auto_resolve"), state, deadline.due, Actor.system()):
        evolve(state, event)
    assert state.status is TicketStatus.RESOLVED
    deadline = next_lifecycle_deadline(state, settings)
    assert deadline is not None and deadline.due == T0 + timedelta(days=14)


def test_a_tag_both_added_and_removed_is_refused_even_when_the_ticket_has_it() -> None:
    """The overlap is checked on what was asked, before it is narrowed to what would change."""
    state = ticket()
    state.tags = ["vip"]
    with pytest.raises(InvalidCommand):
        decide(state, Tag(actor=Actor("a1", Role.AGENT), add=["vip"], remove=["vip"]))
