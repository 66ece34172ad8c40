"""Tags and macros as the ticket's pure rules: what a macro records, in one list, or why it cannot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidCommand, TransitionRejected
from domain.events import number
from domain.ticket.commands import ApplyMacro, Tag, Transfer
from domain.ticket.macro_preview import preview
from domain.ticket.macros import MacroActions, check_macro
from domain.ticket.state import NewTicket, TicketState, TicketStatus, Tier
from domain.ticket.transitions import decide, evolve

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AGENT = Actor("agent-1", Role.AGENT, "Ana")


def ticket(**fields) -> TicketState:
    new = NewTicket(id=1, org_id="o", requester_id="cust-1", subject="s", description="d", group_id="l1")
    state = TicketState.opened(new, T0)
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def apply(state: TicketState, command) -> list[str]:
    events = number(decide(state, command), state, T0, command.actor)
    for event in events:
        evolve(state, event)
    return [e.type for e in events]


def macro(reply: str | None = "Done", **actions) -> ApplyMacro:
    return ApplyMacro(AGENT, "m-1", "Close as fixed", reply=reply, actions=MacroActions(**actions))


def test_tags_are_normalised_kept_once_and_removed() -> None:
    state = ticket()
    assert apply(state, Tag(AGENT, add=["Billing", "billing", "nfe:sp"])) == ["tags_changed"]
    assert state.tags == ["billing", "nfe:sp"]
    apply(state, Tag(AGENT, add=["vip"], remove=["billing", "absent"]))
    assert state.tags == ["nfe:sp", "vip"]


@pytest.mark.parametrize("bad", ["two words", "", "-dash-first", "x" * 51, "ção"])
def test_a_malformed_tag_is_refused_with_the_field(bad: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        decide(ticket(), Tag(AGENT, add=[bad]))
    assert refused.value.field == "add"


def test_a_tag_change_that_changes_nothing_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        decide(ticket(tags=["vip"]), Tag(AGENT, add=["vip"], remove=["gone"]))


def test_a_macro_records_one_entry_then_the_events_it_implies_in_order() -> None:
    state = ticket(severity=3)
    command = macro(
        status="resolved",
        assignee_id="me",
        tags_add=["fixed"],
        severity=2,
        group_id="l2",
    )
    command.group_tier = Tier.L2
    types = apply(state, command)
    assert types == ["macro_applied", "reply_added", "tags_changed", "assigned", "transferred", "reclassified",
                     "status_changed"]  # fmt: skip
    assert state.status is TicketStatus.RESOLVED and state.assignee_id == "agent-1"
    assert (state.group_id, state.tier, state.severity, state.tags) == ("l2", Tier.L2, 2, ["fixed"])


def test_pending_goes_with_the_reply_and_steps_that_change_nothing_are_left_out() -> None:
    state = ticket(assignee_id="agent-1", tags=["vip"])
    assert apply(state, macro(status="pending", assignee_id="agent-1", tags_add=["vip"])) == [
        "macro_applied", "reply_added", "status_changed"
    ]  # fmt: skip
    assert state.status is TicketStatus.PENDING


def test_a_refused_step_refuses_the_whole_macro_and_leaves_the_state_alone() -> None:
    state = ticket(status=TicketStatus.ESCALATED)
    before = (state.version, state.tags, state.status)
    with pytest.raises(TransitionRejected) as refused:
        decide(state, macro(status="resolved", tags_add=["x"]))
    assert refused.value.action == "macro" and "tag" in refused.value.allowed
    assert (state.version, state.tags, state.status) == before


def test_the_preview_is_the_decision_without_applying_it() -> None:
    state = ticket()
    shown = preview(state, macro(tags_add=["x"]))
    assert [c["type"] for c in shown.changes] == ["macro_applied", "reply_added", "tags_changed"]
    assert state.tags == [] and state.version == 0
    refused = preview(ticket(status=TicketStatus.ESCALATED), macro(status="resolved"))
    assert refused.refusal is not None and refused.refusal["type"] == "TransitionRejected"


def test_a_transfer_to_another_group_at_the_same_tier_moves_the_group() -> None:
    state = ticket()
    apply(state, Transfer(AGENT, tier=Tier.L1, group_id="billing"))
    assert (state.group_id, state.tier) == ("billing", Tier.L1)
    with pytest.raises(InvalidCommand):
        decide(state, Transfer(AGENT, tier=Tier.L1, group_id="billing"))


@pytest.mark.parametrize(
    ("reply", "internal", "actions", "field"),
    [
        ("Hi {{customer.name}}", False, MacroActions(), "reply"),
        (None, False, MacroActions(status="pending"), "actions.status"),
        ("note", True, MacroActions(status="pending"), "actions.status"),
        ("x", False, MacroActions(tags_add=["bad tag"]), "actions.tags_add"),
        ("x", False, MacroActions(tags_add=["a"], tags_remove=["A"]), "actions.tags_remove"),
        (None, False, MacroActions(), "actions"),
    ],
)
def test_a_macro_that_could_never_work_is_refused_when_defined(
    reply: str | None, internal: bool, actions: MacroActions, field: str
) -> None:
    with pytest.raises(InvalidCommand) as refused:
        check_macro(reply, internal, actions)
    assert refused.value.field == field
