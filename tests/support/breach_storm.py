"""The shape of a breach storm, shared by `bench/breach_storm.py` and `tests/faults/test_breach_storm_worker_killed.py`.

Every Sev2 ticket opened between Friday 17:00 and Monday 09:00 breaches at the same instant: its clock
starts at Monday's opening and its target lands exactly on the 12:00 close, so it moves to the 13:00
opening (`domain/calendar.py`). The dev server has no time skipping, so the shape is built in real
time: a UTC calendar that is closed now, opens at `opening` (a whole minute: the API's calendars have
minutes), closes `TARGET_MINUTES` later and opens again `gap_minutes` after that. A policy whose
first-response target is `TARGET_MINUTES` makes every ticket opened before `opening` breach at the
re-opening, one shared instant; its warning (ratio 0.25) comes due 15 s after the opening. The plan
is checked against `BusinessCalendar.add` (the project's own arithmetic) before any ticket is opened.

Also here: counting what the SMTP sink received for each breach (by the e-mail's Message-ID).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from domain.calendar import BusinessCalendar, CalendarSpec, WeeklyInterval

STORM_SEVERITY = 2
TARGET_MINUTES = 1  # first response; the first opening lasts exactly this long
RESOLUTION_MINUTES = 600  # far beyond any run
WARNING_RATIO = 0.25
SECOND_OPENING = timedelta(hours=8)


@dataclass(frozen=True)
class StormPlan:
    """The instants of a storm: when the calendar opens, closes, opens again (the breach), and warns."""

    opening: datetime
    closing: datetime
    breach: datetime
    warning: datetime


def plan_storm(now: datetime, ready_in: float, gap_minutes: int) -> StormPlan:
    """Open at the first whole minute after `ready_in` seconds (the time it takes to open the storm)."""
    earliest = now + timedelta(seconds=ready_in)
    opening = earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    closing = opening + timedelta(minutes=TARGET_MINUTES)
    warning = opening + timedelta(seconds=TARGET_MINUTES * 60 * WARNING_RATIO)
    return StormPlan(opening, closing, closing + timedelta(minutes=gap_minutes), warning)


def weekly_intervals(ranges: list[tuple[datetime, datetime]]) -> list[dict[str, Any]]:
    """UTC instant ranges as the API's weekly intervals, split at midnight ("24:00" ends a day)."""
    found: list[dict[str, Any]] = []
    for start, end in ranges:
        while start < end:
            midnight = (start + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            stop = min(end, midnight)
            found.append(
                {
                    "weekday": start.weekday(),
                    "start": f"{start:%H:%M}",
                    "end": "24:00" if stop == midnight else f"{stop:%H:%M}",
                }
            )
            start = stop
    return found


def storm_calendar(plan: StormPlan) -> dict[str, Any]:
    """The calendar to PUT at /admin/calendars/<name>."""
    ranges = [(plan.opening, plan.closing), (plan.breach, plan.breach + SECOND_OPENING)]
    return {"timezone": "UTC", "weekly": weekly_intervals(ranges)}


def storm_policy(name: str) -> dict[str, Any]:
    """The policy to PUT at /admin/sla-policies/<name>: calendar `name`, for tickets of product `name`."""
    rule = {"first_response_minutes": TARGET_MINUTES, "resolution_minutes": RESOLUTION_MINUTES}
    return {
        "calendar": name,
        "rules": [{"severity": sev, **rule} for sev in (1, 2, 3, 4)],
        "warning_ratio": WARNING_RATIO,
        "products": [name],
    }


def check_plan(calendar: dict[str, Any], plan: StormPlan, now: datetime) -> None:
    """The storm's instants are what the project's own calendar arithmetic gives a ticket opened now."""
    spec = CalendarSpec("UTC", tuple(WeeklyInterval(**w) for w in calendar["weekly"]), ())
    business = BusinessCalendar.from_spec(spec)
    target = timedelta(minutes=TARGET_MINUTES)
    breach, warning = business.add(now, target), business.add(now, target * WARNING_RATIO)
    if breach != plan.breach or warning != plan.warning:
        raise AssertionError(f"calendar gives breach {breach}, warning {warning}; planned {plan}")


class EventRef(Protocol):
    ticket_id: int
    seq: int


@dataclass
class SinkCount:
    """What the SMTP sink received for a set of events: e-mails by (Message-ID, recipient)."""

    received: Counter[tuple[str, str]]
    by_event: Counter[tuple[int, int]]  # distinct (Message-ID, recipient) pairs per (ticket, seq)

    @property
    def mails(self) -> int:
        return sum(self.received.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)

    def figures(self) -> dict[str, int]:
        return {
            "sink_breach_mails": self.mails,
            "sink_breach_events_mailed": len(self.by_event),
            "sink_duplicate_mails": self.duplicates,
        }


def count_sink_mail(mail_dir: Path, events: Iterable[EventRef], since: float) -> SinkCount:
    """How many times the SMTP sink received each event's e-mail, per recipient.

    An event's e-mail has the Message-ID `<ticket-<id>-<seq>[.<variant>]@domain>` (domain.mail_threading):
    files newer than `since` are read (headers only), matched to the events, and counted.
    """
    from email.parser import BytesHeaderParser  # not at the top: bench/calendar.py shadows the stdlib there

    wanted = {f"<ticket-{e.ticket_id}-{e.seq}": (e.ticket_id, e.seq) for e in events}
    received: Counter[tuple[str, str]] = Counter()
    parser = BytesHeaderParser()
    for path in mail_dir.glob("*.eml"):
        if path.stat().st_mtime < since:
            continue
        headers = parser.parsebytes(path.read_bytes())
        message_id = str(headers.get("Message-ID", ""))
        if _event_part(message_id) in wanted:
            received[(message_id, str(headers.get("X-RcptTo", "")))] += 1
    by_event: Counter[tuple[int, int]] = Counter()
    for message_id, _ in received:
        by_event[wanted[_event_part(message_id)]] += 1
    return SinkCount(received, by_event)


def _event_part(message_id: str) -> str:
    """`<ticket-12-3.s@example.com>` → `<ticket-12-3`."""
    return message_id.split("@", 1)[0].split(".", 1)[0]
