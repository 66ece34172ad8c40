"""Business-hours calendar for SLA clocks: the pure arithmetic of "N business hours from now".

SLA targets are written in business time ("respond within 8 business hours"), while timers need an
instant. This module converts between the two without I/O (apart from loading the zone from the
pinned ``tzdata`` package, ``domain.time_zones``) so that workflow code can call it
deterministically; holiday dates are resolved elsewhere (``infra.holiday_dates``) and passed in as
data.

Semantics, following Zendesk's ``biz`` gem and Zammad:

* Opening intervals are half-open ``[open, close)``: a ticket at the closing instant is closed.
  ``time(0)`` as the end of an interval means 24:00 (midnight at the end of the day).
* Business time is real elapsed time. An interval 01:00-03:00 on a spring-forward day is one
  real hour; on a fall-back day it is three.
* Local times that a DST change makes ambiguous resolve to their first occurrence (``fold=0``).
* Local times that a DST change skips (the spring-forward gap) resolve to the first real instant
  after the gap, whether they open or close an interval: an opening at 02:30 in New York on
  2026-03-08 opens at 03:00 EDT, and an interval 02:00-02:30 that day holds no time at all.
* Holidays close the whole local date in the calendar's zone.
* ``add`` counts from the next opening when it starts outside hours, and a result that falls
  exactly on a close is moved to the next opening: no business time passes in between, so the
  target is not exceeded before then. Consequently ``add`` always returns an open instant.

Implementation: each local day is resolved once into UTC microsecond intervals (cached), and the
clock walks interval by interval. Durations longer than a week's business time skip whole weeks
arithmetically (nominal weekly time minus the holidays in the week) whenever the week has no UTC
offset change; weeks with a change are summed from their real intervals. The week check compares
local midnights, so it assumes a zone never changes its offset twice within one local day, which
holds for every zone in the tz database.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from domain.time_zones import zone

__all__ = [
    "DEFAULT_TIMEZONE",
    "BusinessCalendar",
    "CalendarError",
    "CalendarSpec",
    "WeeklyInterval",
    "default_calendar_spec",
]

DEFAULT_TIMEZONE = "America/Sao_Paulo"

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_US = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_DAY_US = 86_400_000_000
_SECOND_US = 1_000_000
_CACHE_DAYS = 8192

# (open, close) as microseconds since local midnight; close may be _DAY_US (24:00).
_DayPlan = tuple[tuple[int, int], ...]
# (open, close) as microseconds since the Unix epoch, UTC.
_Intervals = tuple[tuple[int, int], ...]


class CalendarError(ValueError):
    """A calendar definition that cannot describe business hours (bad zone, overlapping hours...)."""


@dataclass(frozen=True)
class WeeklyInterval:
    """One opening interval of the week in JSON-friendly form.

    ``weekday`` 0 is Monday. ``start``/``end`` are ``"HH:MM"`` (or ``"HH:MM:SS"``); an ``end`` of
    ``"24:00"`` or ``"00:00"`` means midnight at the end of the day.
    """

    weekday: int
    start: str
    end: str


@dataclass(frozen=True)
class CalendarSpec:
    """Serializable, hashable description of a calendar that can live in workflow state.

    JSON shape (what ``dataclasses.asdict`` + ``json.dumps`` produce)::

        {"timezone": "America/Sao_Paulo",
         "weekly": [{"weekday": 0, "start": "09:00", "end": "12:00"}, ...],
         "holidays": ["2026-04-21", ...]}

    Lists and dicts coming back from JSON are normalised to tuples and ``WeeklyInterval`` so that
    ``CalendarSpec(**json.loads(text))`` compares equal to (and hashes like) the original.
    """

    timezone: str
    weekly: tuple[WeeklyInterval, ...]
    holidays: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekly", tuple(_as_weekly_interval(item) for item in self.weekly))
        object.__setattr__(self, "holidays", tuple(self.holidays))


class BusinessCalendar:
    """Weekly opening hours in one zone, minus holidays, answering SLA clock questions."""

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[int, Sequence[tuple[time, time]]],
        holidays: Iterable[date] = (),
    ) -> None:
        self._timezone = timezone
        self._tz = _load_zone(timezone)
        self._plans = _validated_week(weekly)
        self._holidays = _validated_holidays(holidays)
        self._holiday_set = frozenset(self._holidays)
        self._day_nominal = tuple(sum(close - open_ for open_, close in plan) for plan in self._plans)
        self._week_nominal = sum(self._day_nominal)
        self._midnight: Callable[[date], int] = lru_cache(maxsize=_CACHE_DAYS)(self._resolve_midnight)
        self._intervals: Callable[[date], _Intervals] = lru_cache(maxsize=_CACHE_DAYS)(self._resolve_day)
        self._week_business: Callable[[date], int] = lru_cache(maxsize=_CACHE_DAYS)(self._resolve_week)

    @classmethod
    def from_spec(cls, spec: CalendarSpec) -> BusinessCalendar:
        """Build (or reuse) the calendar a workflow carries as a spec; calendars are cached by spec."""
        return _calendar_from_spec(spec)

    @property
    def timezone(self) -> str:
        """The IANA zone name that local hours and holidays refer to."""
        return self._timezone

    @property
    def holidays(self) -> tuple[date, ...]:
        """Closed local dates, sorted and deduplicated."""
        return self._holidays

    @property
    def spec(self) -> CalendarSpec:
        """The JSON-friendly description, so the calendar can be stored in workflow state."""
        return self.to_spec()

    def to_spec(self) -> CalendarSpec:
        """Canonical spec: intervals sorted by weekday and start, holidays sorted."""
        weekly = tuple(
            WeeklyInterval(weekday, _format_time_of_day(open_), _format_time_of_day(close))
            for weekday, plan in enumerate(self._plans)
            for open_, close in plan
        )
        return CalendarSpec(self._timezone, weekly, tuple(day.isoformat() for day in self._holidays))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of business time has passed since ``start``.

        A due date that would fall on a close is pushed to the next opening, so the result is
        always an open instant; ``add(start, 0)`` is therefore ``next_open(start)``.
        """
        remaining = _duration_us(duration)
        return self._to_local(self._advance(_instant_us(start, "start"), remaining))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time within ``[start, end)``: how much of an SLA budget has been used."""
        start_us = _instant_us(start, "start")
        end_us = _instant_us(end, "end")
        if end_us < start_us:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return timedelta(microseconds=self._business_between(start_us, end_us))

    def is_open(self, instant: datetime) -> bool:
        """Whether the SLA clock runs at ``instant`` (closing instants are closed)."""
        instant_us = _instant_us(instant, "instant")
        return self._advance(instant_us, 0) == instant_us

    def next_open(self, instant: datetime) -> datetime:
        """When a paused clock resumes: ``instant`` itself if open, else the next opening."""
        return self._to_local(self._advance(_instant_us(instant, "instant"), 0))

    def __repr__(self) -> str:
        return f"BusinessCalendar.from_spec({self.to_spec()!r})"

    def _advance(self, cursor: int, remaining: int) -> int:
        day = self._local_date(cursor)  # earlier days' hours all end by this day's midnight <= cursor
        while True:
            if remaining > self._week_nominal and cursor <= self._midnight(day):
                week = self._week_business(day)
                if week < remaining:
                    remaining -= week
                    day += _WEEK
                    continue
            for open_, close in self._intervals(day):
                if close <= cursor:
                    continue
                begin = max(open_, cursor)
                if remaining < close - begin:
                    return begin + remaining
                remaining -= close - begin
                cursor = close
            day += _DAY

    def _business_between(self, start: int, end: int) -> int:
        total = 0
        day = self._local_date(start)
        may_skip_weeks = end - start > 8 * _DAY_US
        while (day_start := self._midnight(day)) < end:
            if may_skip_weeks and start <= day_start and self._midnight(day + _WEEK) <= end:
                total += self._week_business(day)
                day += _WEEK
                continue
            total += _overlap(self._intervals(day), start, end)
            day += _DAY
        return total

    def _resolve_week(self, first: date) -> int:
        """Business time in the seven local days from ``first``, arithmetically when no DST change."""
        days = [first + timedelta(days=offset) for offset in range(8)]
        midnights = [self._midnight(day) for day in days]
        if all(later - earlier == _DAY_US for earlier, later in pairwise(midnights)):
            return self._week_nominal - self._holiday_loss(days[0], days[7])
        return sum(close - open_ for day in days[:7] for open_, close in self._intervals(day))

    def _holiday_loss(self, first: date, stop: date) -> int:
        low = bisect.bisect_left(self._holidays, first)
        high = bisect.bisect_left(self._holidays, stop)
        return sum(self._day_nominal[day.weekday()] for day in self._holidays[low:high])

    def _resolve_day(self, day: date) -> _Intervals:
        plan = self._plans[day.weekday()]
        if not plan or day in self._holiday_set:
            return ()
        start = self._midnight(day)
        if self._midnight(day + _DAY) - start == _DAY_US:  # no offset change today: plain arithmetic
            return tuple((start + open_, start + close) for open_, close in plan)
        resolved = ((self._wall_us(day, open_), self._wall_us(day, close)) for open_, close in plan)
        return tuple((open_, close) for open_, close in resolved if close > open_)

    def _wall_us(self, day: date, offset: int) -> int:
        if offset == 0:
            return self._midnight(day)
        if offset == _DAY_US:
            return self._midnight(day + _DAY)
        return self._resolve_wall(day, offset)

    def _resolve_midnight(self, day: date) -> int:
        return self._resolve_wall(day, 0)

    def _resolve_wall(self, day: date, offset: int) -> int:
        """First instant whose local wall time is at least ``offset`` into ``day`` (module DST rules).

        ``fold=0`` reads a wall time with the offset in force before a transition and ``fold=1``
        with the one after, so they differ only around transitions: a larger ``fold=0`` offset
        means a repeated hour (keep the first occurrence), a smaller one means a skipped hour.
        """
        seconds = offset // _SECOND_US
        fields = (day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60)
        before = self._offset_us(datetime(*fields))
        after = self._offset_us(datetime(*fields, fold=1))
        local = (day.toordinal() - _EPOCH_ORDINAL) * _DAY_US + offset
        if before >= after:
            return local - before
        return self._end_of_gap(local, low=local - after, high=local - before)

    def _end_of_gap(self, local: int, low: int, high: int) -> int:
        """The transition instant ending the gap that skips ``local``, by bisection (rare path).

        ``low`` is an instant before the transition (its wall time precedes the gap) and ``high``
        one after it, so the first instant whose wall time reaches ``local`` lies in between.
        """
        while high - low > 1:
            middle = (low + high) // 2
            if middle + self._offset_us(self._to_local(middle)) >= local:
                high = middle
            else:
                low = middle
        return high

    def _offset_us(self, moment: datetime) -> int:
        offset = self._tz.utcoffset(moment)
        if offset is None:  # pragma: no cover - a ZoneInfo always knows its offset
            raise CalendarError(f"time zone {self._timezone!r} has no UTC offset at {moment}")
        return offset // _US

    def _local_date(self, instant: int) -> date:
        return self._to_local(instant).date()

    def _to_local(self, instant: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=instant)).astimezone(self._tz)


def default_calendar_spec(holiday_dates: Iterable[date | str] = ()) -> CalendarSpec:
    """The support desk's standard hours: Mon-Fri 09:00-12:00 and 13:00-17:00 in São Paulo."""
    weekly = tuple(
        WeeklyInterval(weekday, start, end)
        for weekday in range(5)
        for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
    )
    holidays = sorted({day if isinstance(day, str) else day.isoformat() for day in holiday_dates})
    return CalendarSpec(DEFAULT_TIMEZONE, weekly, tuple(holidays))


@lru_cache(maxsize=256)
def _calendar_from_spec(spec: CalendarSpec) -> BusinessCalendar:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for item in spec.weekly:
        bounds = (_parse_time(item.start, is_end=False), _parse_time(item.end, is_end=True))
        weekly.setdefault(item.weekday, []).append(bounds)
    return BusinessCalendar(spec.timezone, weekly, (_parse_date(text) for text in spec.holidays))


def _as_weekly_interval(item: Any) -> WeeklyInterval:
    if isinstance(item, WeeklyInterval):
        return item
    if isinstance(item, Mapping):
        try:
            return WeeklyInterval(item["weekday"], item["start"], item["end"])
        except KeyError as missing:
            raise CalendarError(f"weekly interval {dict(item)!r} lacks {missing}") from None
    raise CalendarError(f"weekly interval must be a WeeklyInterval or a mapping, got {item!r}")


def _load_zone(timezone: str) -> tzinfo:
    try:
        return zone(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise CalendarError(f"unknown time zone {timezone!r}") from None


def _validated_week(weekly: Mapping[int, Sequence[tuple[time, time]]]) -> tuple[_DayPlan, ...]:
    plans: list[_DayPlan] = [() for _ in range(7)]
    for weekday, intervals in weekly.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise CalendarError(f"weekday {weekday!r} is outside 0..6 (0 is Monday)")
        plans[weekday] = _validated_day(_WEEKDAY_NAMES[weekday], intervals)
    if not any(plans):
        raise CalendarError("calendar has no open time in the week")
    return tuple(plans)


def _validated_day(name: str, intervals: Sequence[tuple[time, time]]) -> _DayPlan:
    plan = sorted(_validated_interval(name, interval) for interval in intervals)
    for (open_a, close_a), (open_b, close_b) in pairwise(plan):
        if open_b < close_a:
            first = f"{_format_time_of_day(open_a)}-{_format_time_of_day(close_a)}"
            second = f"{_format_time_of_day(open_b)}-{_format_time_of_day(close_b)}"
            raise CalendarError(f"{name} intervals {first} and {second} overlap")
    return tuple(plan)


def _validated_interval(name: str, interval: Any) -> tuple[int, int]:
    try:
        start, end = interval
    except (TypeError, ValueError):
        raise CalendarError(f"{name} interval {interval!r} is not a (start, end) pair") from None
    open_ = _time_of_day_us(name, start)
    close = _time_of_day_us(name, end) or _DAY_US
    if close <= open_:
        raise CalendarError(
            f"{name} interval {_format_time_of_day(open_)}-{_format_time_of_day(close)} is inverted or empty"
        )
    return open_, close


def _time_of_day_us(name: str, value: Any) -> int:
    if not isinstance(value, time):
        raise CalendarError(f"{name} interval bound {value!r} is not a datetime.time")
    if value.tzinfo is not None:
        raise CalendarError(f"{name} interval bound {value} must be naive; the calendar zone applies")
    if value.microsecond:
        raise CalendarError(f"{name} interval bound {value} has sub-second precision")
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _SECOND_US


def _validated_holidays(holidays: Iterable[date]) -> tuple[date, ...]:
    days = list(holidays)
    for day in days:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise CalendarError(f"holiday {day!r} is not a datetime.date")
    return tuple(sorted(set(days)))


def _parse_time(text: str, *, is_end: bool) -> time:
    """Parse ``HH:MM[:SS]``; an end of ``24:00`` becomes ``time(0)``, which as an end means midnight."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(len(part) == 2 and part.isdigit() for part in parts):
        raise CalendarError(f"time {text!r} is not HH:MM or HH:MM:SS")
    hour, minute, second = (int(part) for part in [*parts, "00"][:3])
    if is_end and hour == 24 and minute == second == 0:
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        raise CalendarError(f"time {text!r} is out of range")
    return time(hour, minute, second)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"holiday {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _format_time_of_day(offset: int) -> str:
    seconds = offset // _SECOND_US
    hours, minutes, seconds = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def _instant_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return (value - _EPOCH) // _US


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    return duration // _US


def _overlap(intervals: _Intervals, start: int, end: int) -> int:
    return sum(max(0, min(close, end) - max(open_, start)) for open_, close in intervals)
