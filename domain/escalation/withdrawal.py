"""An escalation ends with its ticket: closing or merging a ticket withdraws its open escalation.

Why: the requester may close their own ticket at any time (and an agent may merge it away), even
while engineering works on it. An escalation left running would keep polling JIRA, auto-confirm a
fix nobody waits for and signal a ticket that no longer listens. So the ticket tells its escalation
(`TicketClosed`), and the escalation records a terminal `withdrawn` stage with the ticket's reason
and comments on its dev cards. An escalation that finds its ticket's workflow gone (a ticket closed
before this rule existed) withdraws itself the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.escalation.state import EscalationState, Stage
from domain.events import Change


@dataclass
class TicketClosed:
    """The ticket's news to its escalation: it closed, and why (its status change's reason)."""

    ticket_id: int
    reason: str


def decide_withdrawal(state: EscalationState, reason: str) -> list[Change]:
    """Withdraw an active escalation; one that already ended (resolved, declined) keeps its end."""
    if not state.active:
        return []
    data = {"from": state.stage.value, "to": Stage.WITHDRAWN.value, "reason": reason}
    return [Change("stage_changed", data)]


def withdrawal_comment(state: EscalationState) -> str:
    """What the dev cards are told, so that engineering stops working on a closed ticket's problem."""
    return (
        f"Escalation {state.id} was withdrawn: {state.withdrawal_reason or 'its ticket was closed'}. "
        f"Ticket #{state.ticket_id} is closed; no one is waiting on this card through Escalator any more."
    )


def ticket_gone_reason(ticket_id: int) -> str:
    """The reason recorded when the escalation finds its ticket's workflow already completed."""
    return f"ticket #{ticket_id} is closed"
