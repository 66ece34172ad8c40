"""SLA clocks as pure functions on a calendar: pause, resume, stop, re-target, deadlines, breach actions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

import domain.sla
from domain.actors import Actor, Role
from domain.events import number
from domain.sla import (
    FIRST_RESPONSE,
    RESOLUTION,
    BreachActions,
    PolicyRule,
    SlaState,
    clock_view,
    clocks_from_json,
    default_policy,
    next_sla_deadline,
    overdue_sla_deadlines,
    sla_json,
    stop,
)
from domain.ticket.commands import Reclassify, Reply, Resolve
from domain.ticket.state import Kind, NewTicket, TicketState, Tier
from domain.ticket.transitions import decide, decide_sla, evolve
from domain.time_zones import zone

SP = zone("America/Sao_Paulo")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SP)
AGENT = Actor("a", Role.AGENT)


def ticket(severity: int = 3, policy=None, **fields) -> TicketState:
    new = NewTicket(
        id=7,
        org_id="o",
        requester_id="c",
        subject="s",
        description="d",
        severity=severity,
        sla_policy=policy or default_policy(),
        **fields,
    )
    return TicketState.opened(new, MONDAY_9)


def act(state: TicketState, command, at: datetime) -> None:
    for event in number(decide(state, command), state, at, command.actor):
        evolve(state, event)


def test_targets_come_from_the_seed_matrix_and_specific_rules_win() -> None:
    policy = default_policy()
    assert policy.targets_for(1) == (2 * 3600, 4 * 3600)
    assert policy.targets_for(4) == (16 * 3600, 56 * 3600)
    special = PolicyRule(2, 30, 60, product="erp", kind="incident")
    narrowed = type(policy)(policy.name, 2, policy.calendar_name, policy.calendar, (*policy.rules, special))
    assert narrowed.targets_for(2, "erp", None, "incident") == (1800, 3600)
    assert narrowed.targets_for(2, "erp", None, "question") == (3 * 3600, 12 * 3600)


def test_first_deadline_is_the_warning_at_80_percent() -> None:
    state = ticket(severity=1)
    assert state.sla is not None
    deadline = next_sla_deadline(state.sla)
    assert deadline is not None
    assert (deadline.clock, deadline.kind) == (FIRST_RESPONSE, "warning")
    assert deadline.due == datetime(2026, 11, 23, 10, 36, tzinfo=SP)  # 96 min of 120


def test_pending_pauses_resolution_and_first_reply_stops_first_response() -> None:
    state = ticket()
    act(state, Reply(AGENT, "logs?", await_customer=True), MONDAY_9 + timedelta(hours=2))
    assert state.sla is not None
    assert state.sla.clock(FIRST_RESPONSE).status() == "met"
    resolution = state.sla.clock(RESOLUTION)
    assert resolution.status() == "paused" and resolution.used_seconds == 2 * 3600
    act(state, Reply(Actor("c", Role.CUSTOMER), "here"), MONDAY_9 + timedelta(days=1))
    assert state.sla.clock(RESOLUTION).status() == "running"
    assert (
        state.sla.clock(RESOLUTION).used(state.sla.calendar, MONDAY_9 + timedelta(days=1, hours=1))
        == 3 * 3600
    )


def test_resolve_stops_and_reopen_resumes() -> None:
    state = ticket()
    act(state, Resolve(AGENT), MONDAY_9 + timedelta(hours=1))
    assert state.sla is not None
    assert state.sla.clock(RESOLUTION).status() == "met"
    assert state.sla.clock(FIRST_RESPONSE).stopped
    assert next_sla_deadline(state.sla) is None


def test_reclassify_retargets_keeping_time_used() -> None:
    state = ticket(severity=3)
    act(state, Reclassify(AGENT, severity=1), MONDAY_9 + timedelta(hours=1))
    assert state.sla is not None
    clock = state.sla.clock(RESOLUTION)
    assert clock.target_seconds == 4 * 3600 and clock.used_seconds == 3600
    assert clock.at_used(state.sla.calendar, clock.target_seconds) == datetime(2026, 11, 23, 14, 0, tzinfo=SP)


def test_breach_actions_transfer_and_raise_severity() -> None:
    base = default_policy()
    policy = type(base)(
        "strict",
        1,
        base.calendar_name,
        base.calendar,
        base.rules,
        breach_actions=BreachActions(notify=True, transfer_to_l2=True, raise_severity=True),
    )
    state = ticket(severity=3, policy=policy, kind=Kind.INCIDENT)
    assert state.sla is not None
    # Skip the warning, then take the breach of first response.
    state.sla.clock(FIRST_RESPONSE).warned = True
    state.sla.clock(RESOLUTION).warned = True
    breach = next_sla_deadline(state.sla)
    assert breach is not None and breach.kind == "breach" and breach.clock == FIRST_RESPONSE
    changes = decide_sla(state, breach)
    assert [c.type for c in changes] == ["sla_breached", "transferred", "reclassified"]
    for event in number(changes, state, breach.due, Actor.system()):
        evolve(state, event)
    assert state.tier is Tier.L2 and state.severity == 2
    assert state.sla.clock(FIRST_RESPONSE).breached
    assert decide_sla(state, breach) == []  # a breach is recorded once


def test_overdue_deadlines_are_every_passed_warning_and_breach_in_order() -> None:
    state = ticket(severity=1)  # 2 h first response, 4 h resolution, from Monday 09:00
    assert state.sla is not None
    assert overdue_sla_deadlines(state.sla, datetime(2026, 11, 23, 10, 35, tzinfo=SP)) == []
    late = overdue_sla_deadlines(state.sla, datetime(2026, 11, 23, 14, 30, tzinfo=SP))
    assert [(d.clock, d.kind, d.due.astimezone(SP).strftime("%H:%M")) for d in late] == [
        (FIRST_RESPONSE, "warning", "10:36"),
        (FIRST_RESPONSE, "breach", "11:00"),
        (RESOLUTION, "warning", "13:12"),  # 192 min: 3 h before lunch, 12 after
        (RESOLUTION, "breach", "14:00"),
    ]


def test_recording_overdue_deadlines_before_a_late_reply_keeps_the_breach() -> None:
    state = ticket(severity=1)
    assert state.sla is not None
    reply_at = datetime(2026, 11, 23, 11, 0, 5, tzinfo=SP)
    for deadline in overdue_sla_deadlines(state.sla, reply_at):
        for event in number(decide_sla(state, deadline), state, reply_at, Actor.system()):
            evolve(state, event)
    act(state, Reply(actor=AGENT, body="late"), reply_at)
    first = state.sla.clock(FIRST_RESPONSE)
    assert first.stopped and first.breached and first.status() == "breached"
    assert first.breached_at == datetime(2026, 11, 23, 11, 0, tzinfo=SP)
    assert overdue_sla_deadlines(state.sla, reply_at) == []


def stored(sla: SlaState) -> dict:
    """The SLA as a snapshot carries it once it has been through JSON (as the API reads it)."""
    return json.loads(json.dumps(sla_json(sla)))


def test_clocks_from_json_matches_the_views_of_the_live_clocks() -> None:
    holidays = tuple(f"2026-{month:02}-{day:02}" for month in range(1, 13) for day in (1, 9, 17, 25))
    state = ticket(severity=2, policy=default_policy(holidays))
    assert state.sla is not None
    sla = state.sla
    stop(sla.clock(FIRST_RESPONSE), sla.calendar, MONDAY_9 + timedelta(hours=5))
    sla.clock(FIRST_RESPONSE).breached = True
    sla.clock(FIRST_RESPONSE).breached_at = MONDAY_9 + timedelta(hours=4)
    for now in (MONDAY_9 + timedelta(hours=1), MONDAY_9 + timedelta(days=9, hours=3)):
        expected = [clock_view(c, sla, now) for c in sla.clocks]
        assert clocks_from_json(stored(sla), now) == expected
        assert clocks_from_json(stored(sla), now) == expected  # the cached calendar answers the same
    assert [v["status"] for v in expected] == ["breached", "running"]
    assert expected[1]["due"] is not None and expected[0]["due"] is None


def test_paused_and_stopped_clocks_do_no_calendar_work(monkeypatch: pytest.MonkeyPatch) -> None:
    state = ticket(severity=3)
    assert state.sla is not None
    sla = state.sla
    at = MONDAY_9 + timedelta(hours=2)
    stop(sla.clock(FIRST_RESPONSE), sla.calendar, at)
    stop(sla.clock(RESOLUTION), sla.calendar, at)  # paused: banked, not running
    sla.clock(RESOLUTION).stopped = False
    expected = [clock_view(c, sla, at + timedelta(days=3)) for c in sla.clocks]
    assert [v["status"] for v in expected] == ["met", "paused"]
    assert [v["used_seconds"] for v in expected] == [7200, 7200]

    def no_calendar(*args: object) -> None:
        raise AssertionError("a clock that does not run needs no calendar")

    monkeypatch.setattr(domain.sla, "_stored_calendar", no_calendar)
    monkeypatch.setattr(domain.sla.BusinessCalendar, "from_spec", no_calendar)
    data = stored(sla)
    data["calendar"]["timezone"] = "Nowhere/Atlantis"
    assert clocks_from_json(data, at + timedelta(days=3)) == expected
