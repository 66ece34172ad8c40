"""The SLA compliance figures against tickets computed by hand.

Calendar for every ticket: Mon–Fri 09:00–17:00 UTC (8 business hours a day), no holidays.
Targets: first response 2 h (7,200 s), resolution 8 h (28,800 s). 2026-03-02 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import BusinessCalendar, CalendarSpec, WeeklyInterval
from domain.sla_report.aggregate import group_outcomes, percentile
from domain.sla_report.csv_export import report_csv
from domain.sla_report.outcome import BREACHED, MET, NOT_STARTED, RUNNING, ticket_outcome
from domain.sla_report.period import PeriodRefused, period
from domain.sla_report.ticket_facts import ReportEvent, ReportTicket

CAL = BusinessCalendar.from_spec(
    CalendarSpec("UTC", tuple(WeeklyInterval(d, "09:00", "17:00") for d in range(5)))
)
MON = datetime(2026, 3, 2, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`day` 0 is Monday 2026-03-02."""
    return MON + timedelta(days=day, hours=hour, minutes=minute)


def reply(when: datetime, author: str = "agent") -> ReportEvent:
    return ReportEvent("reply_added", when, {"author": author, "internal": False, "body": "x"})


def status(when: datetime, to: str) -> ReportEvent:
    return ReportEvent("status_changed", when, {"to": to})


def breach(when: datetime, clock: str) -> ReportEvent:
    return ReportEvent("sla_breached", when, {"clock": clock, "due": when.isoformat()})


def ticket(ticket_id: int, created: datetime, *events: ReportEvent, **fields: object) -> ReportTicket:
    values: dict[str, object] = {
        "id": ticket_id,
        "created_at": created,
        "channel": "web",
        "severity": 3,
        "org_id": "org-1",
        "assignee_id": None,
        "policy": "p",
        "calendar": CAL,
        "first_response_target": 7200,
        "resolution_target": 28800,
        "events": events,
    }
    values.update(fields)
    return ReportTicket(**values)  # type: ignore[arg-type]


def five_tickets() -> list[ReportTicket]:
    return [
        # T1: reply Mon 10:30 → FR 1.5 h = 5,400 s (met); resolved Mon 15:00 → 6 h = 21,600 s (met).
        ticket(1, at(0, 9), reply(at(0, 10, 30)), status(at(0, 15), "resolved"), assignee_id="a1"),
        # T2: created Mon 16:00, reply Tue 10:00 → FR Mon 16–17 + Tue 9–10 = 2 h = 7,200 s (met: not over).
        # Pending Tue 10:00 → Wed 09:00 (customer reply), resolved Wed 12:00:
        # resolution 2 h (Mon 16 → Tue 10) + 3 h (Wed 9 → 12) = 5 h = 18,000 s (met).
        ticket(
            2,
            at(0, 16),
            reply(at(1, 10)),
            status(at(1, 10), "pending"),
            reply(at(2, 9), author="customer"),
            status(at(2, 9), "open"),
            status(at(2, 12), "resolved"),
            assignee_id="a1",
        ),
        # T3: an internal note does not answer; breach recorded Mon 11:00; reply Mon 13:00 → FR 4 h
        # = 14,400 s (breached). Resolved Tue 13:00 → Mon 8 h + Tue 4 h = 12 h = 43,200 s (breached;
        # recorded at Tue 09:00, the first open instant after 8 h).
        ticket(
            3,
            at(0, 9),
            ReportEvent("reply_added", at(0, 9, 30), {"author": "agent", "internal": True}),
            breach(at(0, 11), "first_response"),
            reply(at(0, 13)),
            breach(at(1, 9), "resolution"),
            status(at(1, 13), "resolved"),
            assignee_id="a2",
        ),
        # T4: nobody answered yet: both clocks still running, no verdict, no time.
        ticket(4, at(0, 9)),
        # T5: reply Tue 09:15 → FR 15 min = 900 s. Escalated Tue 10:00; the customer verifies from
        # Tue 12:00 (clock paused) until the fix is confirmed Wed 10:00 → resolution Tue 9 → 12 = 3 h
        # = 10,800 s (met).
        ticket(
            5,
            at(1, 9),
            reply(at(1, 9, 15)),
            ReportEvent("escalated", at(1, 10), {"escalation_id": "CP-1"}),
            status(at(1, 10), "escalated"),
            ReportEvent("escalation_updated", at(1, 12), {"id": "CP-1", "stage": "verifying"}),
            ReportEvent("escalation_updated", at(2, 10), {"id": "CP-1", "stage": "resolved"}),
            status(at(2, 10), "resolved"),
        ),
    ]


def test_each_ticket_replayed_by_hand() -> None:
    outcomes = {t.id: ticket_outcome(t) for t in five_tickets()}
    assert (outcomes[1].first_response.status, outcomes[1].first_response.seconds) == (MET, 5400)
    assert (outcomes[1].resolution.status, outcomes[1].resolution.seconds) == (MET, 21600)
    assert (outcomes[2].first_response.status, outcomes[2].first_response.seconds) == (MET, 7200)
    assert (outcomes[2].resolution.status, outcomes[2].resolution.seconds) == (MET, 18000)
    assert (outcomes[3].first_response.status, outcomes[3].first_response.seconds) == (BREACHED, 14400)
    assert (outcomes[3].resolution.status, outcomes[3].resolution.seconds) == (BREACHED, 43200)
    assert outcomes[4].first_response.status == RUNNING and outcomes[4].resolution.seconds is None
    assert (outcomes[5].first_response.seconds, outcomes[5].resolution.seconds) == (900, 10800)
    assert [(b.ticket_id, b.clock, b.due) for b in outcomes[3].breaches] == [
        (3, "first_response", "2026-03-02T11:00:00+00:00"),
        (3, "resolution", "2026-03-03T09:00:00+00:00"),
    ]


def test_grouped_by_policy() -> None:
    [row] = group_outcomes([ticket_outcome(t) for t in five_tickets()], "policy")
    assert (row.key, row.tickets) == ("p", 5)
    # First response: met T1, T2, T5; breached T3; T4 running → 3 / 4 = 75 %.
    # Times sorted [900, 5400, 7200, 14400]: median (5400 + 7200) / 2 = 6300;
    # p90 at rank 0.9 × 3 = 2.7 → 7200 + 0.7 × (14400 − 7200) = 12240.
    fr = row.first_response
    assert (fr.met, fr.breached, fr.met_pct, fr.median_seconds, fr.p90_seconds) == (3, 1, 75.0, 6300, 12240)
    # Resolution: sorted [10800, 18000, 21600, 43200]: median (18000 + 21600) / 2 = 19800;
    # p90 rank 2.7 → 21600 + 0.7 × (43200 − 21600) = 36720. Met 3 of 4 finished → 75 %.
    res = row.resolution
    assert (res.met, res.breached, res.met_pct, res.median_seconds, res.p90_seconds) == (
        3,
        1,
        75.0,
        19800,
        36720,
    )
    assert len(row.breaches) == 2


def test_grouped_by_agent_puts_unassigned_last() -> None:
    rows = group_outcomes([ticket_outcome(t) for t in five_tickets()], "agent")
    assert [(r.key, r.tickets) for r in rows] == [("a1", 2), ("a2", 1), (None, 2)]
    a1 = rows[0].first_response
    # a1: T1 5400 and T2 7200 → median 6300; p90 rank 0.9 → 5400 + 0.9 × 1800 = 7020; both met → 100 %.
    assert (a1.met_pct, a1.median_seconds, a1.p90_seconds) == (100.0, 6300, 7020)
    # a2: T3 only, breached both → 0 %.
    assert rows[1].resolution.met_pct == 0.0


def test_an_unconverted_chat_and_a_ticket_without_sla_have_no_clocks() -> None:
    chat = ticket_outcome(ticket(6, at(0, 9), reply(at(0, 10)), channel="chat"))
    bare = ticket_outcome(ticket(7, at(0, 9), reply(at(0, 10)), calendar=None))
    assert chat.first_response.status == NOT_STARTED and bare.resolution.status == NOT_STARTED
    # A converted chat counts from its conversion: converted Mon 10:00, reply 10:30 → 1,800 s.
    converted = ticket(
        8, at(0, 9), ReportEvent("chat_converted", at(0, 10)), reply(at(0, 10, 30)), channel="chat"
    )
    assert ticket_outcome(converted).first_response.seconds == 1800


def test_a_finished_clock_over_target_without_a_recorded_breach_is_breached() -> None:
    # Reply Mon 09:00 → Tue 11:00: 8 h + 2 h = 10 h > 2 h target, though no sla_breached was recorded.
    late = ticket_outcome(ticket(9, at(0, 9), reply(at(1, 11))))
    assert (late.first_response.status, late.first_response.seconds) == (BREACHED, 36000)
    assert [(b.clock, b.due) for b in late.breaches] == [("first_response", None)]


def test_percentile_edges() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0


def test_csv_has_a_line_per_group_and_the_breach_links() -> None:
    rows = group_outcomes([ticket_outcome(t) for t in five_tickets()], "policy")
    lines = report_csv("policy", rows).splitlines()
    assert lines[0].startswith("group_by,key,tickets,first_response_met,")
    assert lines[1] == "policy,p,5,3,1,75.0,6300.0,12240.0,3,1,75.0,19800.0,36720.0,2,/v1/tickets/3"


def test_period_over_366_days_is_refused_naming_the_limit() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert period(start, start + timedelta(days=366)).end == start + timedelta(days=366)
    with pytest.raises(PeriodRefused, match="366 days"):
        period(start, start + timedelta(days=366, seconds=1))
    with pytest.raises(PeriodRefused, match="after from"):
        period(start, start)
