"""Which mails are machine-sent (domain/automatic_mail), and the per-sender limit's window."""

from __future__ import annotations

import pytest

from domain.automatic_mail import automatic_reason
from integrations.mail.sender_limit import SenderLimit

OURS = "escalator.localhost"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("Auto-Submitted", "auto-replied")], "Auto-Submitted: auto-replied"),
        (
            [("auto-submitted", "Auto-Generated; owner-email=x@y")],
            "Auto-Submitted: auto-generated; owner-email=x@y",
        ),
        ([("Precedence", "bulk")], "Precedence: bulk"),
        ([("Precedence", " Auto_Reply ")], "Precedence: auto_reply"),
        ([("List-Id", "<users.lists.example>")], "List-Id: mailing-list mail"),
        (
            [("X-Loop", "support@escalator.localhost")],
            "X-Loop: support@escalator.localhost (our own mail came back)",
        ),
        ([("X-Autoreply", "yes")], "x-autoreply: out-of-office or autoresponder"),
        ([("X-Autorespond", "Out of office")], "x-autorespond: out-of-office or autoresponder"),
    ],
)
def test_automatic_mail_says_why(headers: list[tuple[str, str]], reason: str) -> None:
    assert automatic_reason([("From", "a@x.example"), *headers], "a@x.example", OURS) == reason


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("Auto-Submitted", "no")],
        [("Precedence", "first-class")],
        [("X-Loop", "help@other-desk.example")],
        [("X-Loop", "someone@escalator.localhost.evil.example")],
        [("Subject", "Auto-Submitted: auto-replied")],
    ],
)
def test_a_persons_mail_is_not_automatic(headers: list[tuple[str, str]]) -> None:
    assert automatic_reason(headers, "a@x.example", OURS) is None


def test_a_bounce_is_automatic() -> None:
    assert automatic_reason([], "", OURS) == "empty envelope sender (a delivery report)"


def test_sender_limit_counts_per_sender_in_a_sliding_window() -> None:
    now = [0.0]
    limit = SenderLimit(limit=3, window_seconds=3600, clock=lambda: now[0], max_senders=2)
    assert [limit.record("Loop@Desk.example") for _ in range(5)] == [False, False, False, True, True]
    assert limit.record("carla@x.example") is False  # another sender has their own count
    now[0] = 3599.0
    assert limit.record("loop@desk.example") is True
    now[0] = 3600.0 + 3599.0
    assert limit.record("loop@desk.example") is False  # the hour since the flood has passed
    limit.record("third@x.example")  # over max_senders: the least recent (carla) is forgotten
    assert [limit.record("carla@x.example") for _ in range(3)] == [False, False, False]
