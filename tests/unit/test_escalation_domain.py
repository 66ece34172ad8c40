"""Escalation rules without Temporal: stage moves, card progress (late, duplicate, backwards), verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidCommand, TransitionRejected
from domain.escalation.card_progress import CardProgress
from domain.escalation.state import (
    Card,
    EscalationState,
    NewEscalation,
    Stage,
    Target,
    card_linked_changes,
    decide_auto_confirm,
    decide_card_progress,
    decide_move,
    decide_verification,
    evolve_escalation,
)
from domain.events import number

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)
ENGINEER = Actor("e", Role.ENGINEER)
CUSTOMER = Actor("c", Role.CUSTOMER)


def escalation() -> EscalationState:
    new = NewEscalation("CP-1", 10, "o", "c", Target.ENGINEERING, "dup invoices", "desc", "a")
    return EscalationState.opened(new, T0)


def apply(state: EscalationState, changes, at: datetime = T0) -> EscalationState:
    for event in number(changes, state, at, ENGINEER):
        evolve_escalation(state, event)
    return state


def with_card(progress: CardProgress = CardProgress.ACCEPTED) -> EscalationState:
    state = escalation()
    card = Card("ESC-1", "http://127.0.0.1/browse/ESC-1", "Accepted", progress, T0)
    return apply(state, card_linked_changes(state, card, created=True))


def test_manual_moves_follow_the_stage_graph() -> None:
    state = escalation()
    with pytest.raises(TransitionRejected):
        decide_move(state, ENGINEER, Stage.RESOLVED, None)
    with pytest.raises(TransitionRejected):
        decide_move(state, CUSTOMER, Stage.IN_REVIEW, None)
    with pytest.raises(InvalidCommand):
        decide_move(state, ENGINEER, Stage.DECLINED, "  ")
    apply(state, decide_move(state, ENGINEER, Stage.ENGINEERING, "start"))
    apply(state, decide_move(state, ENGINEER, Stage.IN_REVIEW, "back to triage"))
    assert state.stage is Stage.IN_REVIEW


def test_card_progress_drives_the_stage_and_ignores_late_or_repeated_news() -> None:
    state = with_card()
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    apply(state, decide_card_progress(state, "ESC-1", "In Progress", CardProgress.IN_PROGRESS, t1, "webhook"))
    assert state.stage is Stage.ENGINEERING
    assert decide_card_progress(state, "esc-1", "In Progress", CardProgress.IN_PROGRESS, t2, "webhook") == []
    apply(state, decide_card_progress(state, "ESC-1", "Done", CardProgress.RESOLVED, t2, "webhook"))
    assert state.stage is Stage.VERIFYING and state.verification_requested_at == T0
    # A late webhook (older than what we know) changes nothing.
    assert decide_card_progress(state, "ESC-1", "In Review", CardProgress.IN_REVIEW, t1, "webhook") == []
    # A card reopened while the customer verifies sends the escalation back to engineering.
    t3 = T0 + timedelta(minutes=3)
    apply(
        state, decide_card_progress(state, "ESC-1", "In Progress", CardProgress.IN_PROGRESS, t3, "reconcile")
    )
    assert state.stage is Stage.ENGINEERING


def test_verification_answers() -> None:
    state = with_card(CardProgress.RESOLVED)
    assert state.stage is Stage.VERIFYING
    with pytest.raises(TransitionRejected):
        decide_verification(state, ENGINEER, True, None)
    apply(state, decide_verification(state, CUSTOMER, False, "still broken"))
    assert state.stage is Stage.ENGINEERING
    with pytest.raises(TransitionRejected):
        decide_verification(state, CUSTOMER, True, None)
    assert decide_auto_confirm(state) == []
    apply(state, decide_move(state, ENGINEER, Stage.VERIFYING, "fixed again"))
    changes = decide_auto_confirm(state)
    assert [c.type for c in changes] == ["verification_answered", "stage_changed"]
    assert changes[0].data["automatic"] is True
    apply(state, changes)
    assert state.stage is Stage.RESOLVED and not state.active
