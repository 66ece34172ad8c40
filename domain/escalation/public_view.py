"""What a customer sees of an escalation: its stage, dates, estimated date and the public notes.

Why: the timeline also records engineering's plumbing (cards linked and unlinked, card creation,
and `card_sync_failed` with JIRA's raw error text: URLs, project keys, status codes, sometimes a
stack of messages). A customer is owed the progress, not the tracker's internals.
"""

from __future__ import annotations

from typing import Any

PUBLIC_EVENTS: dict[str, frozenset[str]] = {
    "escalation_created": frozenset({"target", "summary", "ticket_id"}),
    "stage_changed": frozenset({"from", "to", "reason", "comment"}),
    "eta_set": frozenset({"from", "to"}),
    "eta_passed": frozenset({"eta"}),
    "verification_reminder": frozenset({"asked_at"}),
    "verification_answered": frozenset({"fixed", "comment", "automatic"}),
}


def public_timeline(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a customer may see, each with only its public fields."""
    return [_public(event) for event in events if event["type"] in PUBLIC_EVENTS]


def _public(event: dict[str, Any]) -> dict[str, Any]:
    keep = PUBLIC_EVENTS[event["type"]]
    data = {key: value for key, value in (event.get("data") or {}).items() if key in keep}
    return {**event, "data": data}
