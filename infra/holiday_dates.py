"""Public holidays as plain dates, resolved outside workflow code.

The ``holidays`` package computes dates from rules (Easter, moving observances...) and changes
between releases, so workflows must not call it: a replay could see a different calendar. This
module runs in the API or an activity, and its sorted ``date`` list travels into the workflow as
data (for instance inside a ``domain.calendar.CalendarSpec``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import holidays

__all__ = ["holiday_dates", "merge_dates", "public_holidays"]


def public_holidays(country: str, years: Iterable[int], subdiv: str | None = None) -> list[date]:
    """Public holidays of ``country`` (optionally one subdivision) for ``years``, sorted.

    Unknown countries or subdivisions raise ``ValueError`` so that a configuration typo fails at
    start-up instead of silently producing a calendar without holidays.
    """
    wanted = sorted(set(years))
    try:
        table = holidays.country_holidays(country, subdiv=subdiv, years=wanted)
    except NotImplementedError as error:
        raise ValueError(f"no holiday rules for country={country!r} subdiv={subdiv!r}: {error}") from None
    return sorted(day for day in table if day.year in wanted)


def merge_dates(*groups: Iterable[date | str]) -> list[date]:
    """Union of several date collections, sorted and deduplicated.

    Lets operators add company-specific closures (ISO strings from configuration or ``date``s) to
    the official list without caring about overlaps.
    """
    return sorted({_as_date(value) for group in groups for value in group})


def holiday_dates(
    country: str,
    years: Iterable[int],
    subdiv: str | None = None,
    extra: Iterable[date | str] = (),
) -> list[date]:
    """Public holidays plus explicit closures: the list a ``BusinessCalendar`` is built with."""
    return merge_dates(public_holidays(country, years, subdiv), extra)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        raise TypeError(f"expected a date, got the datetime {value.isoformat()}")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None
