"""The period a compliance report covers: tickets created in [from, to), at most 366 days.

Why a limit: the report replays every ticket of the period in the API process; a year (a leap year's
366 days) is what people ask for, and the cost grows with the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_PERIOD = timedelta(days=366)


class PeriodRefused(ValueError):
    """A period the report will not cover; the message names the field and the rule."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def period(start: datetime, end: datetime) -> Period:
    if start.tzinfo is None or end.tzinfo is None:
        raise PeriodRefused("from/to: give a time zone offset (e.g. 2026-01-01T00:00:00Z)")
    if end <= start:
        raise PeriodRefused("to: must be after from")
    if end - start > MAX_PERIOD:
        raise PeriodRefused(f"to: the period is limited to {MAX_PERIOD.days} days")
    return Period(start, end)
