"""Scenario 1: the worker is SIGKILLed while 500 tickets are being created and advanced.

Why: the worker holds every ticket's clocks and writes the read model; a crash must lose neither.
Temporal keeps the history, the projection is idempotent (events keyed by ticket and seq), and the
API's answers are safe to retry with the same Idempotency-Key, so after a restart every ticket must
reach its state, every event must be in Postgres exactly once and every SLA timer must still fire.

Ten "late" tickets are opened first and the kill is timed so that their first-response clocks come
due while the worker is dead, and an agent answers them during that window: the timer and the reply
then reach the restarted worker together, and the breach must still be recorded (the answer came
after the target).
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.faults.harness import (
    Api,
    FaultStack,
    clock_events,
    emit,
    fault_stack,
    lateness,
    lost_events,
    parse_time,
    put_fast_policy,
    read_model_mismatches,
    read_tickets,
    seconds,
    timeline_mismatches,
    timeline_problems,
    wait_for_worker,
    workflow_states,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(2400)]

TICKETS = 500
LATE = 10  # answered by an agent while the worker is dead, after their first-response target
CONCURRENCY = 20
MIN_LOAD_S = 150  # pace the load so that the kill (about a minute in) lands while it runs
FIRST_RESPONSE_S = 60
RESOLUTION_S = 60
PRODUCT = "faults-worker-kill"


def unanswered(i: int) -> bool:
    """Every fifth ticket never gets an agent reply, so its first-response clock must breach."""
    return i % 5 == 4


def is_late(i: int) -> bool:
    return i < LATE


async def test_worker_killed_under_load(capsys: pytest.CaptureFixture[str]) -> None:
    # Patience: after the restart the worker can take minutes to catch up (see RELIABILITY.md).
    async with fault_stack() as stack, Api(stack.api, stack.keys, CONCURRENCY, patience=600) as api:
        await put_fast_policy(api, "faults-s1", PRODUCT, FIRST_RESPONSE_S // 60, RESOLUTION_S // 60, 0.5)
        figures = await run(stack, api)
        emit(capsys, "scenario-1-worker-killed", figures)
        assert figures["events_lost"] == 0
        assert not figures["problems"], figures["problems"]
        assert not figures["unexpected_answers"], figures["unexpected_examples"]


async def run(stack: FaultStack, api: Api) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    total_ops = sum(2 if unanswered(i) else 3 for i in range(LATE, TICKETS))  # the lanes' requests
    done = 0
    in_flight = 0
    ids: dict[int, int] = {}
    kill: dict[str, Any] = {}

    async def create(i: int) -> float:
        body = {
            "subject": f"Worker kill {run_id} ticket {i}",
            "description": "created while the worker may die",
            "product": PRODUCT,
            "allow_duplicate": True,
        }
        r = await api.call("POST", "/tickets", "customer", body, key=f"{run_id}-create-{i}", expect=(201,))
        ids[i] = r.json()["id"]
        return parse_time(r.json()["created_at"]).timestamp()

    async def agent_reply(i: int) -> None:
        reply = {"body": "Which browser do you use?", "await_customer": True}
        r = await api.call("POST", f"/tickets/{ids[i]}/replies", "agent", reply, key=f"{run_id}-agent-{i}")
        assert r.json()["status"] == "pending", r.text

    async def customer_reply(i: int) -> None:
        body = {"body": "Firefox 140"}
        r = await api.call("POST", f"/tickets/{ids[i]}/replies", "customer", body, key=f"{run_id}-cust-{i}")
        assert r.json()["status"] == "open", r.text

    # The late tickets first: their first-response clocks decide when the worker dies.
    created = await asyncio.gather(*(create(i) for i in range(LATE)))
    first_due, last_due = min(created) + FIRST_RESPONSE_S, max(created) + FIRST_RESPONSE_S
    started = time.monotonic()

    async def paced(k: int) -> None:
        """Op number k starts no earlier than its share of MIN_LOAD_S (a no-op on a slow machine)."""
        delay = started + k * MIN_LOAD_S / total_ops - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def advance(i: int) -> None:
        nonlocal done, in_flight
        in_flight += 1
        await paced(done)
        await create(i)
        done += 1
        if not unanswered(i):
            await paced(done)
            await agent_reply(i)
            done += 1
        await paced(done)
        await customer_reply(i)
        done += 1
        in_flight -= 1

    queue = list(reversed(range(LATE, TICKETS)))

    async def lane() -> None:
        while queue:
            await advance(queue.pop())

    async def killer() -> None:
        await asyncio.sleep(first_due - 2 - time.time())
        offset = stack.log("worker").stat().st_size
        kill.update(at=time.monotonic(), wall=time.time(), tickets_in_flight=in_flight, ops_done=done)
        await asyncio.to_thread(stack.signal, "worker", signal.SIGKILL)
        await asyncio.sleep(max(0.0, last_due + 1 - time.time()))
        answers = [asyncio.create_task(agent_reply(i)) for i in range(LATE)]  # while nobody runs workflows
        await asyncio.sleep(2)  # a supervisor's restart delay
        await asyncio.to_thread(stack.restart, "worker")
        await wait_for_worker(stack, offset)
        kill["downtime_s"] = time.monotonic() - kill["at"]
        await asyncio.gather(*answers)
        await asyncio.gather(*(customer_reply(i) for i in range(LATE)))

    kill_task = asyncio.create_task(killer())
    await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
    load_s = time.monotonic() - started
    await kill_task
    last_created = time.time()
    if kill["ops_done"] >= total_ops:
        pytest.fail("the load finished before the kill: raise MIN_LOAD_S")

    # Every ticket is open with its resolution clock running: wait until each one's breach is recorded.
    wanted = sorted(ids.values())
    deadline = last_created + RESOLUTION_S + 240
    breached = 0
    while time.time() < deadline:
        with psycopg.connect(stack.database) as conn:
            row = conn.execute(
                "SELECT count(DISTINCT ticket_id) FROM ticket_events WHERE type = 'sla_breached' "
                "AND data->>'clock' = 'resolution' AND ticket_id = ANY(%s)",
                (wanted,),
            ).fetchone()
        breached = row[0] if row else 0
        if breached == len(wanted):
            break
        await asyncio.sleep(2)
    await asyncio.sleep(2)  # let the last projections settle

    tickets = await read_tickets(api, wanted)
    states = await workflow_states(stack.temporal, wanted)
    problems: list[str] = []
    late: list[float] = []
    late_after_kill: list[float] = []
    first_breaches = 0
    by_index = {ticket_id: i for i, ticket_id in ids.items()}
    for ticket_id, ticket in tickets.items():
        i = by_index[ticket_id]
        problems += timeline_problems(ticket)
        if ticket["status"] != "open":
            problems.append(f"#{ticket_id} is {ticket['status']}, expected open")
        replies = [e for e in ticket["timeline"] if e["type"] == "reply_added"]
        agent_replies = [e for e in replies if e["data"]["author"] == "agent"]
        customer_replies = [e for e in replies if e["data"]["author"] == "customer"]
        if len(agent_replies) != (0 if unanswered(i) and not is_late(i) else 1) or len(customer_replies) != 1:
            problems.append(
                f"#{ticket_id}: {len(agent_replies)} agent / {len(customer_replies)} customer replies"
            )
        breaches = clock_events(ticket, "sla_breached")
        warnings = clock_events(ticket, "sla_warning")
        for clock, events in (*breaches.items(), *warnings.items()):
            if len(events) > 1:
                problems.append(f"#{ticket_id}: {len(events)} {events[0]['type']} for {clock}")
            for event in events:
                late.append(lateness(event))
                if parse_time(event["data"]["due"]).timestamp() >= kill["wall"]:
                    late_after_kill.append(lateness(event))
        if len(breaches.get("resolution", [])) != 1:
            problems.append(f"#{ticket_id}: resolution breach never fired")
        first_due = parse_time(ticket["created_at"]).timestamp() + FIRST_RESPONSE_S
        replied = parse_time(agent_replies[0]["at"]).timestamp() if agent_replies else None
        fired = len(breaches.get("first_response", []))
        first_breaches += fired
        if (replied is None or replied > first_due + 2) and fired != 1:
            clock = next(c for c in ticket["sla"]["clocks"] if c["name"] == "first_response")
            problems.append(
                f"#{ticket_id}{' (late group)' if is_late(i) else ''}: first response due "
                f"{first_due - parse_time(ticket['created_at']).timestamp():.0f}s after creation, agent "
                f"replied after {(replied or 0) - parse_time(ticket['created_at']).timestamp():.0f}s, "
                f"no sla_breached; clock {clock['status']} used {clock['used_seconds']}s of {clock['target_seconds']}s"
            )
        if replied is not None and replied < first_due - 2 and fired:
            problems.append(f"#{ticket_id}: breach recorded though the agent answered in time")
    replaced, mismatches = timeline_mismatches(tickets, states)
    mismatches = read_model_mismatches(tickets, states) + mismatches
    problems += mismatches

    return {
        "tickets": TICKETS,
        "tickets_in_flight_at_kill": kill["tickets_in_flight"],
        "requests_done_at_kill": f"{kill['ops_done']}/{total_ops}",
        "late_group_answered_while_worker_dead": LATE,
        "faults": stack.faults,
        "worker_downtime_s": seconds(kill["downtime_s"]),
        "load_s": seconds(load_s),
        "events_in_read_model": sum(len(t["timeline"]) for t in tickets.values()),
        "events_lost": lost_events(tickets, states) + replaced,
        "read_model_mismatches": len(mismatches),
        "sla_events": len(late),
        "first_response_breaches": first_breaches,
        "resolution_breaches": breached,
        "max_lateness_s": seconds(max(late, default=0)),
        "max_lateness_due_after_kill_s": seconds(max(late_after_kill, default=0)),
        "problems": problems[:20],
        "problem_count": len(problems),
        **api.outcomes.figures(),
    }
