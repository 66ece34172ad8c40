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
ESCALATION_NOTIFIED = frozenset(
    {"stage_changed", "verification_reminder", "verification_answered", "eta_passed", "card_sync_failed"}
)
# What runs that record notifications by activity (before the "…notify-in-projection" patches) keep
# notifying: scheduling an activity is a command, so their rule is frozen for their histories to replay.
LEGACY_ESCALATION_NOTIFIED = frozenset(
    {"stage_changed", "verification_reminder", "eta_passed", "card_sync_failed"}
)
# Ticket runs started before the "notify-by-mail" patch notified only these (replay needs the rule).
TICKET_BEFORE_MAIL = frozenset({"sla_warning", "sla_breached"})
CUSTOMER_REPLIED = "customer replied"


def _ticket(event: Event) -> bool:
    """The customers hear of new tickets, public agent replies, resolutions and reminders; the agent of
    customer replies, of an assignment to them and of a reopened ticket; staff of SLA warnings/breaches.
    Never internal notes."""
    if _ticket_legacy(event):
        return True
    if event.type == "reply_added":
        return event.data.get("author") == "customer"
    if event.type == "assigned":
        return bool(event.data.get("to"))
    if event.type == "status_changed":
        return _reopened(event.data)
    return False


def _reopened(data: dict[str, Any]) -> bool:
    """Resolved → open, unless a customer reply did it: the agent's "customer replied" mail says it."""
    return (
        data.get("from") == "resolved" and data.get("to") == "open" and data.get("reason") != CUSTOMER_REPLIED
    )


def _ticket_legacy(event: Event) -> bool:
    """The rule of runs that notify by activity: public agent replies, resolutions, the ALWAYS kinds."""
    if event.type in TICKET_ALWAYS:
        return True
    if event.type == "reply_added":
        return event.data.get("author") == "agent" and not event.data.get("internal")
    if event.type == "status_changed":
        return event.data.get("to") == "resolved"
    return False


def _escalation(event: Event) -> bool:
    """Stage moves, the verification reminder and answer, a passed estimate, a failed tracker sync."""
    return event.type in ESCALATION_NOTIFIED


def _escalation_legacy(event: Event) -> bool:
    return event.type in LEGACY_ESCALATION_NOTIFIED


def _never(event: Event) -> bool:
    """Support-access changes are audited, not mailed: the user made them."""
    return False


RULES: dict[Entity, Callable[[Event], bool]] = {
    Entity.TICKET: _ticket,
    Entity.ESCALATION: _escalation,
    Entity.SUPPORT_ACCESS: _never,
}


LEGACY_RULES: dict[Entity, Callable[[Event], bool]] = {
    Entity.TICKET: _ticket_legacy,
    Entity.ESCALATION: _escalation_legacy,
    Entity.SUPPORT_ACCESS: _never,
}


def is_notified(entity: Entity, event: Event) -> bool:
    """Whether the event owes a notification, for runs that write the outbox in their projection."""
    return RULES[entity](event)


def is_notified_by_activity(entity: Entity, event: Event) -> bool:
    """The frozen rule of runs that record each notification by an activity (see LEGACY_RULES)."""
    return LEGACY_RULES[entity](event)


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
