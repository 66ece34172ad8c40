"""'N business days later' on a business calendar: the same local time on the N-th following open day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.calendar import BusinessCalendar
from domain.time_zones import zone


def business_days_later(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """Why not add N x 8 hours: a reminder "in 3 business days" means at the same time of day."""
    local_zone = zone(calendar.timezone)
    local = start.astimezone(local_zone)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        midnight = datetime.combine(day, time(0), local_zone)
        if calendar.next_open(midnight).astimezone(local_zone).date() == day:
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), local_zone)


def local_today(calendar: BusinessCalendar, instant: datetime) -> date:
    """The calendar's local date at `instant` (what "today" means for an estimated date)."""
    return instant.astimezone(zone(calendar.timezone)).date()


def end_of_local_day(calendar: BusinessCalendar, day: date) -> datetime:
    """Midnight after `day` in the calendar's zone: when an estimated date has passed."""
    return datetime.combine(day + timedelta(days=1), time(0), zone(calendar.timezone))
