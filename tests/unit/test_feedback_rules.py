"""Who may answer the satisfaction survey, and when: while resolved, and after the close while the
workflow keeps the feedback window open; once per resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actors import Actor, Role
from domain.errors import TransitionRejected
from domain.events import number
from domain.ticket.commands import Close, Feedback, Resolve
from domain.ticket.lifecycle import LifecycleSettings, feedback_window_end, next_feedback_deadline
from domain.ticket.state import NewTicket, TicketState, TicketStatus
from domain.ticket.transitions import decide, evolve

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AGENT = Actor("agent-1", Role.AGENT)
REQUESTER = Actor("cust-1", Role.CUSTOMER)
REQUESTING_ADMIN = Actor("admin-1", Role.ORG_ADMIN)
CC = Actor("cc-1", Role.CUSTOMER)
OTHER_ADMIN = Actor("admin-2", Role.ORG_ADMIN)


def ticket(requester: str = "cust-1") -> TicketState:
    new = NewTicket(id=1, org_id="o", requester_id=requester, subject="s", description="d", cc=["cc-1"])
    return TicketState.opened(new, T0)


def apply(state: TicketState, command, at: datetime = T0, late: bool = False) -> TicketState:
    for event in number(decide(state, command, late_feedback=late), state, at, command.actor):
        evolve(state, event)
    return state


def resolved_then_closed(requester: str = "cust-1") -> TicketState:
    state = apply(ticket(requester), Resolve(AGENT), T0 + timedelta(hours=1))
    return apply(state, Close(Actor(requester, Role.CUSTOMER)), T0 + timedelta(hours=2))


def test_the_requester_answers_a_closed_ticket_while_the_window_is_open() -> None:
    state = resolved_then_closed()
    apply(state, Feedback(REQUESTER, True, "thanks"), T0 + timedelta(days=3), late=True)
    assert state.status is TicketStatus.CLOSED
    assert state.satisfaction is not None and state.satisfaction.satisfied
    assert state.satisfaction.resolution_at == T0 + timedelta(hours=1)


def test_a_closed_ticket_refuses_the_answer_when_the_window_is_not_open() -> None:
    with pytest.raises(TransitionRejected) as info:
        decide(resolved_then_closed(), Feedback(REQUESTER, True))
    assert info.value.status == "closed" and "over" in info.value.reason


@pytest.mark.parametrize("late", [False, True])
def test_one_answer_per_resolution_before_or_after_the_close(late: bool) -> None:
    state = apply(ticket(), Resolve(AGENT))
    apply(state, Feedback(REQUESTER, False))
    if late:
        apply(state, Close(REQUESTER))
    with pytest.raises(TransitionRejected):
        decide(state, Feedback(REQUESTER, True), late_feedback=late)


def test_an_org_admin_who_is_the_requester_answers() -> None:
    state = apply(ticket("admin-1"), Resolve(AGENT))
    apply(state, Feedback(REQUESTING_ADMIN, True))
    assert state.satisfaction is not None


@pytest.mark.parametrize("who", [CC, OTHER_ADMIN, AGENT])
def test_nobody_but_the_requester_answers(who: Actor) -> None:
    state = apply(ticket(), Resolve(AGENT))
    with pytest.raises(TransitionRejected):
        decide(state, Feedback(who, True))
    closed = resolved_then_closed()
    with pytest.raises(TransitionRejected):
        decide(closed, Feedback(who, True), late_feedback=True)


def test_the_window_runs_from_the_close_and_ends_with_the_answer() -> None:
    settings = LifecycleSettings(feedback_after_close_seconds=14 * 86_400)
    state = apply(ticket(), Resolve(AGENT))
    assert feedback_window_end(state, settings) is None  # not closed yet
    apply(state, Close(REQUESTER), T0 + timedelta(days=1))
    deadline = next_feedback_deadline(state, settings)
    assert deadline is not None and deadline.action == "feedback_window_end"
    assert deadline.due == T0 + timedelta(days=15)
    apply(state, Feedback(REQUESTER, True), T0 + timedelta(days=2), late=True)
    assert feedback_window_end(state, settings) is None


def test_a_zero_window_turns_late_feedback_off() -> None:
    assert (
        feedback_window_end(resolved_then_closed(), LifecycleSettings(feedback_after_close_seconds=0)) is None
    )


def test_a_ticket_closed_without_a_resolution_takes_one_answer() -> None:
    settings = LifecycleSettings()
    state = apply(ticket(), Close(REQUESTER))
    assert feedback_window_end(state, settings) == T0 + timedelta(days=14)
    apply(state, Feedback(REQUESTER, True), T0, late=True)
    assert feedback_window_end(state, settings) is None
    with pytest.raises(TransitionRejected):
        decide(state, Feedback(REQUESTER, False), late_feedback=True)
