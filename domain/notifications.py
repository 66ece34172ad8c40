"""Who hears about what: per entity and event type, whether an event queues a notification.

Pure: the workflows ask (and write the outbox rows in their projection's transaction), the mail
composer says what the message is. One module so that tickets and escalations cannot disagree on
it, and so that a new event type is notified by adding it here only.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from domain.events import Event


class Entity(StrEnum):
    TICKET = "ticket"
    ESCALATION = "escalation"
    SUPPORT_ACCESS = "support_access"


TICKET_ALWAYS = frozenset(
    {
        "ticket_created",
        "sla_warning",
        "sla_breached",
        "pending_reminder",
        "conference_reminder",
        "conference_accepted",
    }
)
ESCALATION_NOTIFIED = frozenset({"stage_changed", "verification_reminder", "eta_passed", "card_sync_failed"})
# Ticket runs started before the "notify-by-mail" patch notified only these (replay needs the rule).
TICKET_BEFORE_MAIL = frozenset({"sla_warning", "sla_breached"})


def _ticket(event: Event) -> bool:
    """Public agent replies, resolutions, new tickets and SLA warnings/breaches; never internal notes."""
    if event.type in TICKET_ALWAYS:
        return True
    if event.type == "reply_added":
        return event.data.get("author") == "agent" and not event.data.get("internal")
    if event.type == "status_changed":
        return event.data.get("to") == "resolved"
    return False


def _escalation(event: Event) -> bool:
    """Stage moves, the verification reminder, a passed estimate and a failed sync with the tracker."""
    return event.type in ESCALATION_NOTIFIED


def _never(event: Event) -> bool:
    """Support-access changes are audited, not mailed: the user made them."""
    return False


RULES: dict[Entity, Callable[[Event], bool]] = {
    Entity.TICKET: _ticket,
    Entity.ESCALATION: _escalation,
    Entity.SUPPORT_ACCESS: _never,
}


def is_notified(entity: Entity, event: Event) -> bool:
    return RULES[entity](event)


def notified_before_mail(event: Event) -> bool:
    """The rule of ticket runs started before "notify-by-mail" (kept so their histories replay)."""
    return event.type in TICKET_BEFORE_MAIL


def notification_data(event: Event) -> dict[str, Any]:
    """What the outbox row carries: the event's data and who acted."""
    return {**event.data, "actor_id": event.actor_id}


def notification_rows(
    entity: Entity, ticket_id: int, source: str, events: list[Event]
) -> list[dict[str, Any]]:
    """The outbox rows (key: ticket id, source, seq, kind) that `events` owe, as plain JSON.

    `source` is whose numbering `seq` follows: "ticket", or an escalation's id.
    """
    return [
        {
            "ticket_id": ticket_id,
            "source": source,
            "seq": event.seq,
            "kind": event.type,
            "data": notification_data(event),
        }
        for event in events
        if is_notified(entity, event)
    ]
