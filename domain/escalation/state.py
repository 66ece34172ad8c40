"""Escalations to engineering or to the product owner: stages, dev cards, verification.

Pure and deterministic like the ticket rules: `decide_*` functions return changes or refuse,
`evolve_escalation` applies numbered events. The workflow owns timers and side effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.actors import Actor, Role, refuse_attestation
from domain.errors import InvalidCommand, TransitionRejected
from domain.escalation.card_progress import CardProgress
from domain.events import Change, Event
from domain.ticket.state import EscalationView


class Stage(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    ENGINEERING = "engineering"
    VERIFYING = "verifying"
    RESOLVED = "resolved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the ticket closed (or merged) before the escalation ended


class Target(StrEnum):
    ENGINEERING = "engineering"
    PRODUCT = "product"


TERMINAL = frozenset({Stage.RESOLVED, Stage.DECLINED, Stage.WITHDRAWN})
# Moves an engineer may make by hand; moves back are allowed where the seeds allow them.
MANUAL_MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.SUBMITTED: frozenset({Stage.IN_REVIEW, Stage.ENGINEERING, Stage.DECLINED}),
    Stage.IN_REVIEW: frozenset({Stage.SUBMITTED, Stage.ENGINEERING, Stage.VERIFYING, Stage.DECLINED}),
    Stage.ENGINEERING: frozenset({Stage.IN_REVIEW, Stage.VERIFYING, Stage.DECLINED}),
    Stage.VERIFYING: frozenset({Stage.ENGINEERING}),
    Stage.RESOLVED: frozenset(),
    Stage.DECLINED: frozenset(),
    Stage.WITHDRAWN: frozenset(),
}
ENGINEERING_ROLES = frozenset({Role.ENGINEER, Role.ADMIN, Role.AGENT})
VERIFYING_ROLES = frozenset({Role.CUSTOMER, Role.ORG_ADMIN})


@dataclass
class Card:
    """A JIRA issue linked to the escalation, with the progress last seen."""

    key: str
    url: str
    status: str
    progress: CardProgress
    linked_at: datetime
    status_changed_at: datetime | None = None
    created_by_escalator: bool = False


@dataclass
class NewEscalation:
    id: str
    ticket_id: int
    org_id: str
    requester_id: str
    target: Target
    summary: str
    description: str
    requested_by: str


@dataclass
class EscalationState:
    id: str
    ticket_id: int
    org_id: str
    requester_id: str
    target: Target
    summary: str
    description: str
    created_at: datetime
    updated_at: datetime
    stage: Stage = Stage.SUBMITTED
    eta: str | None = None  # ISO date: Temporal's JSON converter carries no `date`
    eta_passed: bool = False
    cards: list[Card] = field(default_factory=list)
    verification_requested_at: datetime | None = None
    verification_reminded: bool = False
    decline_reason: str | None = None
    resolution: str | None = None
    withdrawal_reason: str | None = None
    card_creations_pending: int = 0
    version: int = 0

    @classmethod
    def opened(cls, new: NewEscalation, at: datetime) -> EscalationState:
        return cls(
            id=new.id,
            ticket_id=new.ticket_id,
            org_id=new.org_id,
            requester_id=new.requester_id,
            target=new.target,
            summary=new.summary,
            description=new.description,
            created_at=at,
            updated_at=at,
        )

    def card(self, key: str) -> Card | None:
        return next((c for c in self.cards if c.key.upper() == key.upper()), None)

    @property
    def active(self) -> bool:
        return self.stage not in TERMINAL


def _refuse(state: EscalationState, action: str, reason: str) -> TransitionRejected:
    return TransitionRejected(action, state.stage.value, allowed_escalation_actions(state), reason)


def allowed_escalation_actions(state: EscalationState) -> list[str]:
    if not state.active:
        return []
    actions = ["move_stage", "set_eta", "link_card", "create_card"]
    if state.cards:
        actions.append("unlink_card")
    if state.stage is Stage.VERIFYING:
        actions.append("verify")
    return actions


def _stage_change(state: EscalationState, to: Stage, reason: str, **extra: Any) -> list[Change]:
    if state.stage is to:
        return []
    return [Change("stage_changed", {"from": state.stage.value, "to": to.value, "reason": reason, **extra})]


def decide_move(state: EscalationState, actor: Actor, to: Stage, note: str | None) -> list[Change]:
    """A hand move by an engineer (or agent); the verification answer has its own command."""
    if actor.role not in ENGINEERING_ROLES:
        raise _refuse(state, "move_stage", f"a {actor.role} cannot move an escalation")
    if to not in MANUAL_MOVES[state.stage]:
        raise _refuse(state, "move_stage", f"cannot move from {state.stage} to {to}")
    if to is Stage.DECLINED and not (note or "").strip():
        raise InvalidCommand("note", "declining needs a reason for the customer")
    return _stage_change(state, to, note or f"moved by {actor.name or actor.user_id}")


def decide_eta(state: EscalationState, actor: Actor, eta_text: str | None, today: date) -> list[Change]:
    if actor.role not in ENGINEERING_ROLES:
        raise _refuse(state, "set_eta", f"a {actor.role} cannot set the estimated date")
    if not state.active:
        raise _refuse(state, "set_eta", f"the escalation is {state.stage}")
    try:
        eta = date.fromisoformat(eta_text) if eta_text else None
    except ValueError:
        raise InvalidCommand("eta", "not an ISO date (YYYY-MM-DD)") from None
    if eta is not None and eta < today:
        raise InvalidCommand("eta", "the estimated resolution date is in the past")
    if _iso(eta) == state.eta:
        raise InvalidCommand("eta", "the estimated resolution date is already that")
    return [Change("eta_set", {"from": state.eta, "to": _iso(eta)})]


def decide_link(state: EscalationState, actor: Actor, key: str) -> None:
    if actor.role not in ENGINEERING_ROLES:
        raise _refuse(state, "link_card", f"a {actor.role} cannot link dev cards")
    if not state.active:
        raise _refuse(state, "link_card", f"the escalation is {state.stage}")
    if state.card(key) is not None:
        raise InvalidCommand("key", f"{key} is already linked")


def decide_unlink(state: EscalationState, actor: Actor, key: str) -> list[Change]:
    if actor.role not in ENGINEERING_ROLES:
        raise _refuse(state, "unlink_card", f"a {actor.role} cannot unlink dev cards")
    if state.card(key) is None:
        raise InvalidCommand("key", f"{key} is not linked")
    return [Change("card_unlinked", {"key": key.upper()})]


def decide_verification(
    state: EscalationState, actor: Actor, fixed: bool, comment: str | None
) -> list[Change]:
    """The requester (or their org admin) says whether the fix works."""
    if actor.role not in VERIFYING_ROLES:
        raise _refuse(state, "verify", "only the requester or their organisation's admin confirms a fix")
    refuse_attestation(actor, "verify", state.stage.value)
    if state.stage is not Stage.VERIFYING:
        raise _refuse(state, "verify", f"the escalation is {state.stage}, not waiting for verification")
    answer = {"fixed": fixed, "comment": comment, "automatic": False}
    changes = [Change("verification_answered", answer)]
    if fixed:
        return changes + _stage_change(state, Stage.RESOLVED, "the customer confirmed the fix")
    return changes + _stage_change(
        state, Stage.ENGINEERING, "the customer says it is not fixed", comment=comment
    )


def decide_auto_confirm(state: EscalationState) -> list[Change]:
    if state.stage is not Stage.VERIFYING:
        return []
    answer = {"fixed": True, "comment": None, "automatic": True}
    return [Change("verification_answered", answer)] + _stage_change(
        state, Stage.RESOLVED, "no answer from the customer: confirmed automatically"
    )


def decide_card_progress(
    state: EscalationState, key: str, status: str, progress: CardProgress, at: datetime, source: str
) -> list[Change]:
    """A card moved (webhook or reconcile). Late or repeated news changes nothing."""
    card = state.card(key)
    if card is None or not state.active:
        return []
    if card.status_changed_at is not None and at <= card.status_changed_at:
        return []
    if card.status == status and card.progress is progress:
        return []
    changes = [
        Change(
            "card_progress",
            {
                "key": card.key,
                "from": card.progress.value,
                "to": progress.value,
                "status": status,
                "at": at.isoformat(),
                "source": source,
            },
        )
    ]
    return changes + _stage_from_cards(
        state, {**{c.key: c.progress for c in state.cards}, card.key: progress}
    )


def _stage_from_cards(state: EscalationState, progress: dict[str, CardProgress]) -> list[Change]:
    """Every card done → verifying; a card reopened while verifying → back to engineering."""
    if not progress:
        return []
    values = set(progress.values())
    if values == {CardProgress.RESOLVED}:
        if state.stage in (Stage.SUBMITTED, Stage.IN_REVIEW, Stage.ENGINEERING):
            return _stage_change(state, Stage.VERIFYING, "every linked dev card is resolved")
        return []
    if state.stage is Stage.VERIFYING:
        return _stage_change(state, Stage.ENGINEERING, "a dev card was reopened")
    if state.stage in (Stage.SUBMITTED, Stage.IN_REVIEW) and values & {
        CardProgress.IN_PROGRESS,
        CardProgress.IN_REVIEW,
    }:
        return _stage_change(state, Stage.ENGINEERING, "work started on a dev card")
    return []


def card_linked_changes(state: EscalationState, card: Card, created: bool) -> list[Change]:
    data = {
        "key": card.key,
        "url": card.url,
        "status": card.status,
        "progress": card.progress.value,
        "created": created,
    }
    linked = [Change("card_linked", data)]
    progress = {**{c.key: c.progress for c in state.cards}, card.key: card.progress}
    return linked + _stage_from_cards(state, progress)


def evolve_escalation(state: EscalationState, event: Event) -> None:
    """Apply one numbered event; the only place an escalation's state changes."""
    state.version = event.seq
    state.updated_at = at = event.at
    data = event.data
    if event.type == "stage_changed":
        state.stage = Stage(data["to"])
        if state.stage is Stage.VERIFYING:
            state.verification_requested_at = at
            state.verification_reminded = False
        elif state.stage is Stage.DECLINED:
            state.decline_reason = data.get("reason")
        elif state.stage is Stage.RESOLVED:
            state.resolution = data.get("reason")
        elif state.stage is Stage.WITHDRAWN:
            state.withdrawal_reason = data.get("reason")
    elif event.type == "eta_set":
        state.eta = data["to"]
        state.eta_passed = False
    elif event.type == "eta_passed":
        state.eta_passed = True
    elif event.type == "card_linked":
        state.cards.append(
            Card(
                data["key"],
                data["url"],
                data["status"],
                CardProgress(data["progress"]),
                at,
                created_by_escalator=data["created"],
            )
        )
    elif event.type == "card_unlinked":
        state.cards = [c for c in state.cards if c.key.upper() != data["key"].upper()]
    elif event.type == "card_progress":
        card = state.card(data["key"])
        if card is not None:
            card.status, card.progress = data["status"], CardProgress(data["to"])
            card.status_changed_at = datetime.fromisoformat(data["at"])
    elif event.type == "verification_reminder":
        state.verification_reminded = True
    elif event.type == "card_creation_requested":
        state.card_creations_pending += 1
    elif event.type in ("card_sync_failed", "card_creation_done"):
        state.card_creations_pending = max(0, state.card_creations_pending - 1)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def view_of(state: EscalationState) -> EscalationView:
    """What the ticket shows of its escalation (the seeds' progress bar)."""
    reasons = {Stage.DECLINED: state.decline_reason, Stage.WITHDRAWN: state.withdrawal_reason}
    reason = reasons.get(state.stage, state.resolution)
    return EscalationView(
        id=state.id,
        stage=state.stage.value,
        target=state.target.value,
        eta=state.eta,
        cards=[
            {"key": c.key, "status": c.status, "progress": c.progress.value, "url": c.url}
            for c in state.cards
        ],
        reason=reason,
    )
