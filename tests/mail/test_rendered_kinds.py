"""Every notification kind the workflows can queue has a renderer: none is marked sent unread.

`queued_kinds` is the one place that knows where the queued kinds are declared; point it at the
merged module when the ticket and escalation lists move.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.ticket.notifications import ALWAYS, deserves_notification
from domain.ticket.state import TicketEvent
from integrations.mail.composer import RENDERERS
from integrations.mail.occasion import ESCALATION, TICKET
from workflows.escalation import NOTIFIED

# deserves_notification's branches that queue a ticket event only with some data, and an example each.
CONDITIONAL = {
    "reply_added": {"author": "agent", "internal": False, "body": "x"},
    "status_changed": {"from": "open", "to": "resolved"},
}


def queued_kinds() -> set[tuple[str, str]]:
    """(entity, kind) of every notification a ticket or escalation workflow may write to the outbox."""
    ticket = {(TICKET, kind) for kind in ALWAYS | set(CONDITIONAL)}
    escalation = {(ESCALATION, kind) for kind in NOTIFIED}
    return ticket | escalation


def test_every_queued_kind_has_a_renderer() -> None:
    missing = queued_kinds() - set(RENDERERS)
    assert not missing, f"queued but rendered by nobody: {sorted(missing)}"


def test_the_conditional_ticket_kinds_are_really_queued() -> None:
    """Keeps CONDITIONAL honest: each of its kinds is one deserves_notification can say yes to."""
    for kind, data in CONDITIONAL.items():
        event = TicketEvent(
            seq=2, type=kind, at=datetime.now(UTC), actor_id=None, actor_role="agent", data=data
        )
        assert deserves_notification(event), kind


def test_renderers_are_keyed_by_entity() -> None:
    assert {entity for entity, _ in RENDERERS} == {TICKET, ESCALATION}
