"""The breach storm's plan (tests/support/breach_storm.py): every ticket opened before the calendar opens
breaches at one instant, by the project's own calendar arithmetic, even when the plan crosses midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.breach_storm import check_plan, plan_storm, storm_calendar


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 4, 16, 28, 37, tzinfo=UTC),
        datetime(2026, 12, 6, 23, 55, 2, tzinfo=UTC),  # Sunday night: opening, close and breach span midnight
    ],
)
def test_every_ticket_opened_before_the_opening_breaches_at_one_instant(now: datetime) -> None:
    plan = plan_storm(now, ready_in=200, gap_minutes=2)
    assert plan.opening >= now + timedelta(seconds=200)
    assert plan.opening.second == 0 and plan.breach - plan.opening == timedelta(minutes=3)
    calendar = storm_calendar(plan)
    for opened in (now, now + timedelta(seconds=199), plan.opening - timedelta(seconds=1)):
        check_plan(calendar, plan, opened)


def test_a_ticket_opened_after_the_opening_breaches_later() -> None:
    now = datetime(2026, 12, 4, 16, 28, 37, tzinfo=UTC)
    plan = plan_storm(now, ready_in=30, gap_minutes=1)
    with pytest.raises(AssertionError):
        check_plan(storm_calendar(plan), plan, plan.opening + timedelta(seconds=5))
