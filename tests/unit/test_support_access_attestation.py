"""Support access never attests for the customer, and a cc may reply but not close (issue #15, 4 and 5).

Pure rules: the workflows' validators call these same functions, so a refusal here is a refusal
before history; `workflows/refusals.py` turns `ActionForbidden` into the API's 403.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.actors import Actor, Role
from domain.errors import ActionForbidden, InvalidCommand, TransitionRejected
from domain.escalation.card_progress import CardProgress
from domain.escalation.state import (
    Card,
    EscalationState,
    NewEscalation,
    Stage,
    Target,
    card_linked_changes,
    decide_verification,
    evolve_escalation,
)
from domain.events import number
from domain.ticket.commands import Close, Feedback, Reply, Resolve
from domain.ticket.state import NewTicket, TicketState, TicketStatus
from domain.ticket.transitions import decide, evolve
from workflows.refusals import refusal

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AGENT = Actor("agent-1", Role.AGENT)
REQUESTER = Actor("cust-1", Role.CUSTOMER)
PROXY = Actor("cust-1", Role.CUSTOMER, "Ana on behalf of Carla", on_behalf_of="agent-1")
CC = Actor("cust-2", Role.CUSTOMER)
ORG_ADMIN = Actor("admin-1", Role.ORG_ADMIN)


def resolved_ticket() -> TicketState:
    new = NewTicket(id=1, org_id="o", requester_id="cust-1", subject="s", description="d", cc=["cust-2"])
    state = TicketState.opened(new, T0)
    for command in (Reply(AGENT, "try this"), Resolve(AGENT)):
        for event in number(decide(state, command), state, T0, command.actor):
            evolve(state, event)
    assert state.status is TicketStatus.RESOLVED
    return state


def verifying_escalation() -> EscalationState:
    new = NewEscalation("CP-1", 10, "o", "cust-1", Target.ENGINEERING, "dup invoices", "desc", "a")
    state = EscalationState.opened(new, T0)
    card = Card("ESC-1", "http://127.0.0.1/browse/ESC-1", "Done", CardProgress.RESOLVED, T0)
    for event in number(card_linked_changes(state, card, created=True), state, T0, AGENT):
        evolve_escalation(state, event)
    assert state.stage is Stage.VERIFYING
    return state


@pytest.mark.parametrize(
    "command", [Feedback(PROXY, satisfied=True), Close(PROXY)], ids=["feedback", "close"]
)
def test_support_access_cannot_answer_the_survey_or_close(command: Feedback | Close) -> None:
    with pytest.raises(ActionForbidden, match="support access"):
        decide(resolved_ticket(), command)


def test_support_access_cannot_confirm_a_fix() -> None:
    with pytest.raises(ActionForbidden, match="support access"):
        decide_verification(verifying_escalation(), PROXY, True, None)


def test_the_customer_themselves_still_attests() -> None:
    assert [c.type for c in decide(resolved_ticket(), Feedback(REQUESTER, satisfied=True))] == [
        "feedback_given"
    ]
    assert decide(resolved_ticket(), Close(REQUESTER))[0].data["to"] == "closed"
    assert decide(resolved_ticket(), Close(ORG_ADMIN))[0].data["to"] == "closed"
    answered = decide_verification(verifying_escalation(), REQUESTER, True, None)
    assert answered[0].type == "verification_answered"


def test_a_cc_may_reply_but_not_close() -> None:
    state = resolved_ticket()
    assert decide(state, Reply(CC, "still broken for me"))[0].type == "reply_added"
    with pytest.raises(ActionForbidden, match="requester"):
        decide(state, Close(CC))


def test_the_refusal_is_a_403_kind_not_a_409() -> None:
    """An ActionForbidden is still a TransitionRejected (every catch site keeps working), but the
    update failure carries its own type, which services/workflow_updates.py answers with 403."""
    with pytest.raises(TransitionRejected) as caught:
        decide(resolved_ticket(), Close(PROXY))
    failure = refusal(caught.value)
    assert failure.type == "ActionForbidden" and failure.non_retryable


@pytest.mark.parametrize("url", ["javascript:alert(1)", "http://x.example/a", "https://"])
def test_links_shown_to_customers_are_https_only(url: str) -> None:
    """The domain refuses too, so pages, macros and mail that do not pass the API's schema are covered."""
    resources = [{"title": "Doc", "url": url}]
    with pytest.raises(InvalidCommand, match="https"):
        decide(resolved_ticket(), Reply(AGENT, "see this", resources=resources))
