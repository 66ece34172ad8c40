"""Who hears about what, per entity and event type (domain/notifications.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import Event
from domain.notifications import (
    Entity,
    is_notified,
    is_notified_by_activity,
    notification_rows,
    notified_before_mail,
)

T0 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def event(type_: str, seq: int = 1, **data: object) -> Event:
    return Event(seq, type_, T0, "agent-1", "agent", dict(data))


def test_tickets_notify_public_replies_resolutions_assignments_and_reopenings() -> None:
    assert is_notified(Entity.TICKET, event("reply_added", author="agent", internal=False))
    assert not is_notified(Entity.TICKET, event("reply_added", author="agent", internal=True))
    assert is_notified(Entity.TICKET, event("reply_added", author="customer", internal=False))
    assert is_notified(Entity.TICKET, event("status_changed", to="resolved"))
    assert not is_notified(Entity.TICKET, event("status_changed", to="pending"))
    assert is_notified(Entity.TICKET, event("status_changed", **{"from": "resolved", "to": "open"}))
    assert is_notified(Entity.TICKET, event("assigned", to="agent-2"))
    assert not is_notified(Entity.TICKET, event("assigned", to=None))
    assert is_notified(Entity.TICKET, event("pending_reminder"))


def test_runs_notifying_by_activity_keep_the_rule_their_histories_recorded() -> None:
    """Scheduling an activity is a command: the new kinds must not reach those runs."""
    assert not is_notified_by_activity(Entity.TICKET, event("reply_added", author="customer", internal=False))
    assert not is_notified_by_activity(Entity.TICKET, event("assigned", to="agent-2"))
    assert not is_notified_by_activity(Entity.ESCALATION, event("verification_answered", fixed=True))
    assert is_notified(Entity.ESCALATION, event("verification_answered", fixed=True))


def test_escalations_notify_stage_moves_and_their_clocks_not_card_links() -> None:
    for kind in ("stage_changed", "verification_reminder", "eta_passed", "card_sync_failed"):
        assert is_notified(Entity.ESCALATION, event(kind))
    assert not is_notified(Entity.ESCALATION, event("card_linked"))
    assert not is_notified(Entity.ESCALATION, event("reply_added", author="agent"))


def test_grants_are_audited_not_mailed_and_old_ticket_runs_keep_their_rule() -> None:
    assert not is_notified(Entity.SUPPORT_ACCESS, event("granted"))
    assert notified_before_mail(event("sla_breached")) and not notified_before_mail(event("ticket_created"))


def test_outbox_rows_name_their_source_and_carry_the_actor() -> None:
    events = [event("card_linked", 1), event("stage_changed", 2, to="engineering")]
    rows = notification_rows(Entity.ESCALATION, 42, "CP-7", events)
    assert rows == [
        {
            "ticket_id": 42,
            "source": "CP-7",
            "seq": 2,
            "kind": "stage_changed",
            "data": {"to": "engineering", "actor_id": "agent-1"},
        }
    ]
