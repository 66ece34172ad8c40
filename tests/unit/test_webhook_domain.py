"""Outgoing webhooks' pure parts: signatures, the retry schedule, which timeline events publish what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.webhooks.events import webhook_event
from domain.webhooks.retry import next_attempt, should_disable
from domain.webhooks.signature import sign, verify

BODY = b'{"id":"evt_1000_1"}'
T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_a_signature_verifies_only_for_its_body_secret_and_time() -> None:
    header = sign("s3cret", 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret", BODY, header, now=1_700_000_100)
    assert not verify("other", BODY, header, now=1_700_000_100)
    assert not verify("s3cret", BODY + b" ", header, now=1_700_000_100)
    assert not verify("s3cret", BODY, header, now=1_700_000_000 + 301)  # replayed too late
    assert not verify("s3cret", BODY, header.replace("t=1700000000", "t=1700000001"), now=1_700_000_000)
    assert not verify("s3cret", BODY, None, now=1_700_000_000)


def test_backoff_doubles_from_ten_seconds_up_to_an_hour() -> None:
    delays = [next_attempt(n, T0) - T0 for n in (1, 2, 3, 10, 50)]
    assert delays == [
        timedelta(seconds=10),
        timedelta(seconds=20),
        timedelta(seconds=40),
        timedelta(hours=1),  # 10 × 2^9 = 5,120 s, capped
        timedelta(hours=1),
    ]


def test_an_endpoint_is_disabled_after_a_day_without_success() -> None:
    assert not should_disable(None, T0)
    assert not should_disable(T0, T0 + timedelta(hours=23, minutes=59))
    assert should_disable(T0, T0 + timedelta(days=1))


def test_escalation_updates_publish_only_stage_changes() -> None:
    ticket = {"id": 1000, "status": "escalated", "severity": 2, "subject": "s"}
    cards_moved = {
        "type": "escalation_updated",
        "seq": 7,
        "at": T0,
        "data": {"id": "CP-1", "stage": "engineering"},
    }
    assert webhook_event(ticket, cards_moved, previous_stage="engineering") is None
    moved = webhook_event(ticket, cards_moved, previous_stage="in_review")
    assert moved is not None
    assert (moved.id, moved.type, moved.payload["data"]) == (
        "evt_1000_7",
        "escalation.stage_changed",
        {"escalation_id": "CP-1", "from": "in_review", "to": "engineering"},
    )
    note = {"type": "note_added", "seq": 8, "at": T0, "data": {"body": "secret"}}
    assert webhook_event(ticket, note) is None
