"""One ticket's SLA outcome, replayed from its timeline with the ticket's own calendar.

The replay follows the rules the workflow's clocks follow (`domain.sla.sync_clocks`): both clocks start
at creation (a live chat: when it is converted); first response stops at the first public agent reply,
or when the ticket is resolved/closed without one; resolution runs while the ticket is `open` or
`escalated` and the customer is not verifying a fix, and stops at `resolved`/`closed` (a reopen
resumes it). A clock is breached when the timeline recorded its breach (`sla_breached`, the
workflow's exact-instant timer) or when its finished business time exceeds the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.calendar import BusinessCalendar
from domain.sla import FIRST_RESPONSE, RESOLUTION
from domain.sla_report.ticket_facts import ReportTicket

MET, BREACHED, RUNNING, NOT_STARTED = "met", "breached", "running", "not_started"
FINISHED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class Breach:
    ticket_id: int
    clock: str
    due: str | None
    recorded_at: str | None


@dataclass(frozen=True)
class ClockOutcome:
    """`seconds`: business time to the clock's stop (None while running, or with no first reply)."""

    status: str
    seconds: float | None


@dataclass(frozen=True)
class TicketOutcome:
    ticket: ReportTicket
    first_response: ClockOutcome
    resolution: ClockOutcome
    breaches: tuple[Breach, ...]


def ticket_outcome(ticket: ReportTicket) -> TicketOutcome:
    """Judge both clocks of one ticket; a ticket without SLA or an unconverted chat has none started."""
    start = _clock_start(ticket)
    if ticket.calendar is None or start is None:
        idle = ClockOutcome(NOT_STARTED, None)
        return TicketOutcome(ticket, idle, idle, ())
    recorded = _recorded_breaches(ticket)
    first = _first_response(ticket, ticket.calendar, start)
    resolution = _resolution(ticket, ticket.calendar, start)
    first = _judged(first, ticket.first_response_target, FIRST_RESPONSE in recorded)
    resolution = _judged(resolution, ticket.resolution_target, RESOLUTION in recorded)
    breaches = tuple(recorded.values())
    for name, clock in ((FIRST_RESPONSE, first), (RESOLUTION, resolution)):
        if clock.status == BREACHED and name not in recorded:
            breaches += (Breach(ticket.id, name, None, None),)
    return TicketOutcome(ticket, first, resolution, breaches)


def _clock_start(ticket: ReportTicket) -> datetime | None:
    if ticket.channel != "chat":
        return ticket.created_at
    return next((e.at for e in ticket.events if e.type == "chat_converted"), None)


def _recorded_breaches(ticket: ReportTicket) -> dict[str, Breach]:
    found: dict[str, Breach] = {}
    for e in ticket.events:
        if e.type == "sla_breached" and e.data.get("clock") not in found:
            clock = str(e.data.get("clock"))
            found[clock] = Breach(ticket.id, clock, e.data.get("due"), e.at.isoformat())
    return found


def _first_response(ticket: ReportTicket, calendar: BusinessCalendar, start: datetime) -> ClockOutcome:
    for e in ticket.events:
        if e.at < start:
            continue
        if e.type == "reply_added" and e.data.get("author") == "agent" and not e.data.get("internal"):
            return ClockOutcome(MET, calendar.elapsed(start, e.at).total_seconds())
        if e.type == "status_changed" and e.data.get("to") in FINISHED_STATUSES:
            return ClockOutcome(MET, None)  # stopped without a reply: no time to count
    return ClockOutcome(RUNNING, None)


def _resolution(ticket: ReportTicket, calendar: BusinessCalendar, start: datetime) -> ClockOutcome:
    status, verifying = "open", False
    used = 0.0
    running_since: datetime | None = start
    for e in ticket.events:
        if e.at < start:
            continue
        if e.type == "status_changed":
            status = str(e.data.get("to"))
        elif e.type == "escalation_updated":
            verifying = e.data.get("stage") == "verifying"
        elif e.type == "escalated":
            verifying = False
        else:
            continue
        running = status in ("open", "escalated") and not verifying
        if running_since is not None and not running:
            used += calendar.elapsed(running_since, e.at).total_seconds()
            running_since = None
        elif running_since is None and running:
            running_since = e.at
    if status in FINISHED_STATUSES:
        return ClockOutcome(MET, used)
    return ClockOutcome(RUNNING, None)


def _judged(clock: ClockOutcome, target: int | None, recorded: bool) -> ClockOutcome:
    over = clock.seconds is not None and target is not None and clock.seconds > target
    if recorded or (clock.status == MET and over):
        return ClockOutcome(BREACHED, clock.seconds)
    return clock
