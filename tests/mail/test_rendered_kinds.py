"""Every notification kind the workflows can queue has a renderer: none is marked sent unread.

`queued_kinds` reads the queued kinds from domain/notifications.py, the one module that decides them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import Event
from domain.notifications import ESCALATION_NOTIFIED, TICKET_ALWAYS, Entity, is_notified
from integrations.mail.composer import RENDERERS
from integrations.mail.occasion import ESCALATION, TICKET

# is_notified's branches that queue a ticket event only with some data, and an example each.
CONDITIONAL = {
    "reply_added": [
        {"author": "agent", "internal": False, "body": "x"},
        {"author": "customer", "internal": False, "body": "x"},
    ],
    "status_changed": [
        {"from": "open", "to": "resolved"},
        {"from": "resolved", "to": "open", "reason": "reopened"},
    ],
    "assigned": [{"from": None, "to": "agent-1"}],
}


def queued_kinds() -> set[tuple[str, str]]:
    """(entity, kind) of every notification a ticket or escalation workflow may write to the outbox."""
    ticket = {(TICKET, kind) for kind in TICKET_ALWAYS | set(CONDITIONAL)}
    escalation = {(ESCALATION, kind) for kind in ESCALATION_NOTIFIED}
    return ticket | escalation


def test_every_queued_kind_has_a_renderer() -> None:
    missing = queued_kinds() - set(RENDERERS)
    assert not missing, f"queued but rendered by nobody: {sorted(missing)}"


def test_the_conditional_ticket_kinds_are_really_queued() -> None:
    """Keeps CONDITIONAL honest: each of its kinds is one is_notified can say yes to."""
    for kind, examples in CONDITIONAL.items():
        for data in examples:
            event = Event(
                seq=2, type=kind, at=datetime.now(UTC), actor_id=None, actor_role="agent", data=data
            )
            assert is_notified(Entity.TICKET, event), (kind, data)


def test_a_customer_reply_that_reopens_mails_the_agent_once() -> None:
    """The reply's "customer replied" mail says it; the status change it causes owes no second mail."""
    reopened = {"from": "resolved", "to": "open", "reason": "customer replied"}
    event = Event(
        seq=3, type="status_changed", at=datetime.now(UTC), actor_id="c", actor_role="customer", data=reopened
    )
    assert not is_notified(Entity.TICKET, event)


def test_renderers_are_keyed_by_entity() -> None:
    assert {entity for entity, _ in RENDERERS} == {TICKET, ESCALATION}
