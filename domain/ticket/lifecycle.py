"""The lifecycle clocks every ticket owns: pending → auto-resolved, resolved → auto-closed, and
the feedback window that stays open for a while after the ticket closes.

Periods are calendar time (seconds) by default, as in the seeds: 10 days without a customer
reply resolves a pending ticket; 4 days after resolution the ticket closes. Seed 002 offers
"Deixar feedback" on a closed ticket, so the requester may still rate it for a window after the
close (14 days by default; 0 turns the window off and the ticket's life ends at the close).
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
    feedback_after_close_seconds: int = 14 * DAY


@dataclass(frozen=True)
class LifecycleDeadline:
    """The next lifecycle action and when it is due."""

    action: str  # "auto_resolve" | "auto_close" | "feedback_window_end" | the reminders' names
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


def feedback_window_end(state: TicketState, settings: LifecycleSettings) -> datetime | None:
    """Until when a closed ticket still takes the satisfaction answer; None when nothing is awaited.

    Nothing is awaited when the ticket is not closed, the window is off, or the survey was already
    answered for the ticket's last resolution (one answer per resolution, before or after the close).
    """
    if state.status is not TicketStatus.CLOSED or state.closed_at is None:
        return None
    if settings.feedback_after_close_seconds <= 0 or survey_answered(state):
        return None
    return state.closed_at + timedelta(seconds=settings.feedback_after_close_seconds)


def next_feedback_deadline(state: TicketState, settings: LifecycleSettings) -> LifecycleDeadline | None:
    """The end of a closed ticket's feedback window: the workflow completes then."""
    end = feedback_window_end(state, settings)
    if end is None:
        return None
    period = _human(settings.feedback_after_close_seconds)
    return LifecycleDeadline("feedback_window_end", end, f"stop taking feedback {period} after the close")


def survey_answered(state: TicketState) -> bool:
    """The requester has answered for the ticket's latest resolution (or for its close, if never resolved)."""
    return state.satisfaction is not None and state.satisfaction.resolution_at == state.resolved_at


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
