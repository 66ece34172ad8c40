"""SLA clocks inside TicketWorkflow, on the time-skipping server, with hand-checked instants.

The policy is the seeds' matrix on Mon-Fri 09:00-12:00 / 13:00-17:00 São Paulo hours, with only the
holidays each test names, so that the expected instants do not depend on the week the test runs in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.sla import FIRST_RESPONSE, RESOLUTION, default_policy
from domain.ticket.commands import Reclassify, Reply
from domain.ticket.state import TicketState
from domain.time_zones import zone
from store.scope import Scope
from store.ticket_queries import TicketFilter, list_tickets
from tests.support.tickets import AGENT, customer, start_ticket
from tests.workflow.test_ticket_workflow import read_events
from workflows.ticket import TicketWorkflow

SP = zone("America/Sao_Paulo")


async def advance_to(env: WorkflowEnvironment, weekday: int, hour: int, minute: int) -> datetime:
    """Skip time to the next given weekday and local time in São Paulo; returns that instant."""
    now = (await env.get_current_time()).astimezone(SP)
    target = (now + timedelta(days=(weekday - now.weekday()) % 7)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    if target <= now + timedelta(seconds=1):
        target += timedelta(days=7)
    await env.sleep(target - now)
    return target


async def skip_until(env: WorkflowEnvironment, instant: datetime) -> None:
    now = await env.get_current_time()
    if instant > now:
        await env.sleep(instant - now)


def at(day: datetime, days: int, hour: int, minute: int) -> datetime:
    return (day + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def close_to(actual: datetime | str, expected: datetime) -> bool:
    value = datetime.fromisoformat(actual) if isinstance(actual, str) else actual
    return abs(value - expected) < timedelta(seconds=2)


def due_of(state: TicketState, clock: str) -> datetime:
    assert state.sla is not None
    c = state.sla.clock(clock)
    due = c.at_used(state.sla.calendar, c.target_seconds)
    assert due is not None
    return due


async def test_sev1_friday_afternoon_warns_then_breaches_monday(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    friday = await advance_to(time_env, 4, 16, 30)
    handle, new = await start_ticket(
        time_env.client,
        engine,
        skipping_worker,
        publish_search_attributes=False,
        severity=1,
        sla_policy=default_policy(),
    )
    await handle.execute_update(TicketWorkflow.opened)
    monday_0959 = at(friday, 3, 9, 59)
    await skip_until(time_env, monday_0959)
    assert not [e for e in await read_events(engine, new.id) if e["type"].startswith("sla_")]

    await skip_until(time_env, at(friday, 3, 10, 31))
    events = [e for e in await read_events(engine, new.id) if e["type"].startswith("sla_")]
    kinds = [(e["type"], e["data"]["clock"]) for e in events]
    assert kinds == [("sla_warning", FIRST_RESPONSE), ("sla_breached", FIRST_RESPONSE)]
    # 30 min on Friday + 66 min on Monday = 80 % of 2 h; the breach at 2 h.
    assert close_to(events[0]["data"]["due"], at(friday, 3, 10, 6))
    assert close_to(events[1]["data"]["due"], at(friday, 3, 10, 30))
    assert close_to(events[1]["at"], at(friday, 3, 10, 30)), "the breach fired on time"
    assert events[1]["data"]["used_seconds"] == 2 * 3600
    async with engine.connect() as conn:
        breached = await list_tickets(
            conn, Scope.everything(), TicketFilter(breached=True, org_id=new.org_id), 10, None
        )
    assert [t["id"] for t in breached] == [new.id], "the read model lists it as breached"

    await skip_until(time_env, at(friday, 3, 13, 31))
    state = await handle.query(TicketWorkflow.state)
    assert state.sla is not None
    resolution = state.sla.clock(RESOLUTION)
    assert resolution.breached and resolution.breached_at is not None
    assert close_to(resolution.breached_at, at(friday, 3, 13, 30))  # 30 min + 09-12 + 13-13:30


async def test_pending_pauses_the_resolution_clock(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    monday = await advance_to(time_env, 0, 9, 0)
    handle, new = await start_ticket(
        time_env.client,
        engine,
        skipping_worker,
        publish_search_attributes=False,
        severity=3,
        sla_policy=default_policy(),
    )
    await handle.execute_update(TicketWorkflow.opened)
    await skip_until(time_env, at(monday, 0, 10, 0))
    state = await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=AGENT, body="Logs please", await_customer=True)
    )
    assert state.sla is not None
    assert state.sla.clock(FIRST_RESPONSE).status() == "met"
    assert state.sla.clock(RESOLUTION).status() == "paused"
    await skip_until(time_env, at(monday, 2, 10, 0))
    state = await handle.execute_update(
        TicketWorkflow.reply, Reply(actor=customer(new.requester_id), body="here")
    )
    assert state.sla is not None
    assert round(state.sla.clock(RESOLUTION).used_seconds) == 3600  # the two days pending did not count
    # 39 h left from Wednesday 10:00: Wed 6 h, Thu-Fri 14 h, Mon-Tue 14 h, Wed 09-12 and 13-15.
    assert close_to(due_of(state, RESOLUTION), at(monday, 9, 15, 0))


async def test_reclassify_keeps_time_used_and_retargets(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    monday = await advance_to(time_env, 0, 9, 0)
    handle, _ = await start_ticket(
        time_env.client,
        engine,
        skipping_worker,
        publish_search_attributes=False,
        severity=3,
        sla_policy=default_policy(),
    )
    await handle.execute_update(TicketWorkflow.opened)
    await skip_until(time_env, at(monday, 0, 10, 0))
    state = await handle.execute_update(TicketWorkflow.reclassify, Reclassify(actor=AGENT, severity=1))
    assert state.sla is not None
    assert state.sla.clock(FIRST_RESPONSE).target_seconds == 2 * 3600
    assert close_to(due_of(state, FIRST_RESPONSE), at(monday, 0, 11, 0))  # 1 h used of 2
    assert close_to(due_of(state, RESOLUTION), at(monday, 0, 14, 0))  # 1 h used of 4: 10-12, 13-14


async def test_a_holiday_is_skipped(
    time_env: WorkflowEnvironment, engine: AsyncEngine, skipping_worker: str
) -> None:
    friday = await advance_to(time_env, 4, 16, 30)
    holiday: date = (friday + timedelta(days=3)).date()
    handle, _ = await start_ticket(
        time_env.client,
        engine,
        skipping_worker,
        publish_search_attributes=False,
        severity=1,
        sla_policy=default_policy(holidays=(holiday.isoformat(),)),
    )
    state = await handle.execute_update(TicketWorkflow.opened)
    assert close_to(due_of(state, FIRST_RESPONSE), at(friday, 4, 10, 30))  # Tuesday, not Monday
    await skip_until(time_env, at(friday, 4, 10, 31))
    state = await handle.query(TicketWorkflow.state)
    assert state.sla is not None and state.sla.clock(FIRST_RESPONSE).breached
