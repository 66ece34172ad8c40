"""What each command and each piece of card news changes on an escalation (or why it is refused).

The workflow's handler and its validator both call `decide`, so a command the validator accepts is
the command the handler records. Pure: the time and the calendar come in as arguments.
"""

from __future__ import annotations

from datetime import datetime

from domain.actors import Actor, Role
from domain.business_days import local_today
from domain.calendar import BusinessCalendar
from domain.errors import InvalidCommand
from domain.escalation.card_progress import CardProgress
from domain.escalation.commands import (
    CardChanged,
    CreateCard,
    EscalationCommand,
    LinkCard,
    MoveStage,
    SetEta,
    UnlinkCard,
)
from domain.escalation.state import (
    Card,
    EscalationState,
    NewEscalation,
    Stage,
    card_linked_changes,
    decide_card_progress,
    decide_eta,
    decide_link,
    decide_move,
    decide_unlink,
    decide_verification,
)
from domain.events import Change


def opening(new: NewEscalation) -> tuple[list[Change], Actor]:
    """The escalation's first event, recorded as the agent who escalated."""
    created = {"target": new.target.value, "summary": new.summary, "ticket_id": new.ticket_id}
    return [Change("escalation_created", created)], Actor(user_id=new.requested_by, role=Role.AGENT)


def decide(
    state: EscalationState, command: EscalationCommand, now: datetime, calendar: BusinessCalendar
) -> list[Change]:
    """Refuse the command or return the changes it makes."""
    if isinstance(command, MoveStage):
        try:
            to = Stage(command.to)
        except ValueError:
            raise InvalidCommand("stage", f"unknown stage {command.to!r}") from None
        return decide_move(state, command.actor, to, command.note)
    if isinstance(command, SetEta):
        return decide_eta(state, command.actor, command.eta, local_today(calendar, now))
    if isinstance(command, LinkCard):
        decide_link(state, command.actor, command.key)
        progress = CardProgress(command.progress)
        card = Card(command.key.upper(), command.url, command.status, progress, now)
        return card_linked_changes(state, card, created=False)
    if isinstance(command, CreateCard):
        decide_link(state, command.actor, "")
        requested = {"project": command.project, "issue_type": command.issue_type}
        return [Change("card_creation_requested", requested)]
    if isinstance(command, UnlinkCard):
        return decide_unlink(state, command.actor, command.key)
    return decide_verification(state, command.actor, command.fixed, command.comment)


def card_news(state: EscalationState, news: CardChanged) -> tuple[list[Change], Actor]:
    """A webhook's or a reconcile's news about a card; refused (InvalidCommand) for an unknown progress."""
    try:
        progress = CardProgress(news.progress)
    except ValueError:
        raise InvalidCommand("progress", f"unknown card progress {news.progress!r} for {news.key}") from None
    changes = decide_card_progress(state, news.key, news.status, progress, news.at, news.source)
    return changes, Actor(user_id=f"jira:{news.source}", role=Role.ENGINEER)


def card_created(
    state: EscalationState, key: str, url: str, status: str, progress: str, now: datetime
) -> list[Change]:
    """The tracker created the card asked for: done, and linked unless a webhook linked it first."""
    changes = [Change("card_creation_done", {"key": key})]
    if state.card(key) is None:
        linked = Card(key, url, status, CardProgress(progress), now)
        changes += card_linked_changes(state, linked, created=True)
    return changes


def card_sync_failed(operation: str, reason: str) -> list[Change]:
    """A call to the tracker failed for good: recorded (and notified) instead of retried forever."""
    return [Change("card_sync_failed", {"operation": operation, "reason": reason})]
