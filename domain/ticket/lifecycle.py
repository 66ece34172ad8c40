"""The two lifecycle clocks every ticket owns: pending → auto-resolved, resolved → auto-closed.

Periods are calendar time (seconds) by default, as in the seeds: 10 days without a customer
reply resolves a pending ticket; 4 days after resolution the ticket closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.ticket.state import TicketState, TicketStatus

DAY = 86_400


@dataclass(frozen=True)
class LifecycleSettings:
    auto_resolve_after_seconds: int = 10 * DAY
    auto_close_after_seconds: int = 4 * DAY
    conference_reminder_before_seconds: int = 3600
    pending_reminder_before_seconds: int = 3 * DAY


@dataclass(frozen=True)
class LifecycleDeadline:
    """The next lifecycle action and when it is due."""

    action: str  # "auto_resolve" | "auto_close"
    due: datetime
    summary: str


def next_lifecycle_deadline(state: TicketState, settings: LifecycleSettings) -> LifecycleDeadline | None:
    """Why: the workflow's main loop sleeps exactly until this instant instead of polling."""
    if state.status is TicketStatus.PENDING and state.pending_since is not None:
        period = settings.auto_resolve_after_seconds
        return LifecycleDeadline(
            "auto_resolve",
            state.pending_since + timedelta(seconds=period),
            f"auto-resolve after {_human(period)} without a customer reply",
        )
    if state.status is TicketStatus.RESOLVED and state.resolved_at is not None:
        period = settings.auto_close_after_seconds
        return LifecycleDeadline(
            "auto_close", state.resolved_at + timedelta(seconds=period), f"auto-close after {_human(period)}"
        )
    return None


def next_pending_reminder(state: TicketState, settings: LifecycleSettings) -> LifecycleDeadline | None:
    """Remind the customer that support waits on them, some days before the ticket resolves itself."""
    if state.status is not TicketStatus.PENDING or state.pending_since is None or state.pending_reminded:
        return None
    lead = min(settings.pending_reminder_before_seconds, settings.auto_resolve_after_seconds // 2)
    due = state.pending_since + timedelta(seconds=settings.auto_resolve_after_seconds - lead)
    return LifecycleDeadline("pending_reminder", due, "remind the customer we are waiting")


def next_conference_reminder(state: TicketState, settings: LifecycleSettings) -> LifecycleDeadline | None:
    """A conference-call ticket mails its participants shortly before the call (a durable timer)."""
    conference = state.conference
    if conference is None or conference.reminded or state.status is TicketStatus.CLOSED:
        return None
    due = conference.scheduled_at - timedelta(seconds=settings.conference_reminder_before_seconds)
    return LifecycleDeadline("conference_reminder", due, "conference-call reminder")


def _human(seconds: int) -> str:
    if seconds % DAY == 0:
        days = seconds // DAY
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds}s"
